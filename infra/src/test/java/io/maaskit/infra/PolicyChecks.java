package io.maaskit.infra;

import static io.maaskit.infra.InfraTestSupport.at;
import static io.maaskit.infra.InfraTestSupport.list;
import static io.maaskit.infra.InfraTestSupport.map;
import static io.maaskit.infra.InfraTestSupport.toJson;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Walks every IAM policy document of a template (CDK-synthesized or SAM) and reports
 * least-privilege violations.
 */
final class PolicyChecks {

  private PolicyChecks() {}

  /** A statement found in the template, with where it came from. */
  record Statement(String where, Map<String, Object> body) {
    List<String> actions() {
      return strings(body.get("Action"));
    }

    List<Object> resources() {
      Object r = body.get("Resource");
      return r == null ? List.of() : r instanceof List<?> l ? new ArrayList<>(l) : List.of(r);
    }

    boolean allows() {
      return "Allow".equals(body.get("Effect"));
    }
  }

  static List<Statement> statements(Map<String, Object> template) {
    List<Statement> out = new ArrayList<>();
    map(template.get("Resources"))
        .forEach(
            (id, raw) -> {
              Map<String, Object> r = map(raw);
              Object type = r.get("Type");
              Object props = r.get("Properties");
              if ("AWS::IAM::Policy".equals(type) || "AWS::IAM::ManagedPolicy".equals(type)) {
                addDocument(out, id, at(props, "PolicyDocument"));
              } else if ("AWS::IAM::Role".equals(type) && at(props, "Policies") != null) {
                for (Object p : list(at(props, "Policies"))) {
                  addDocument(out, id + "/" + at(p, "PolicyName"), at(p, "PolicyDocument"));
                }
              } else if ("AWS::Serverless::Function".equals(type)
                  && at(props, "Policies") instanceof List<?> policies) {
                for (Object p : policies) {
                  if (p instanceof Map<?, ?> m && m.containsKey("Statement")) {
                    addDocument(out, id + "/Policies", p);
                  }
                }
              }
            });
    return out;
  }

  private static void addDocument(List<Statement> out, String where, Object document) {
    if (document == null) {
      return;
    }
    Object stmts = at(document, "Statement");
    for (Object s : stmts instanceof List<?> l ? l : List.of(stmts)) {
      out.add(new Statement(where, map(s)));
    }
  }

  /**
   * Allow statements that grant an S3 action (or every action) on Resource '*' or on every bucket.
   */
  static List<String> s3WildcardViolations(Map<String, Object> template) {
    List<String> violations = new ArrayList<>();
    for (Statement s : statements(template)) {
      if (!s.allows()) {
        continue;
      }
      boolean s3 =
          s.actions().stream().anyMatch(a -> a.equals("*") || a.toLowerCase().startsWith("s3:"));
      if (!s3) {
        continue;
      }
      if (s.body().containsKey("NotResource") || s.body().containsKey("NotAction")) {
        violations.add(s.where() + ": NotResource/NotAction with S3 actions " + toJson(s.body()));
      }
      for (Object resource : s.resources()) {
        String text = resource instanceof String str ? str : toJson(resource);
        if (text.equals("*") || text.matches(".*:s3:::\\*.*") || text.equals("\"*\"")) {
          violations.add(s.where() + ": " + s.actions() + " on " + text);
        }
      }
    }
    // Attaching a broad AWS-managed S3 or admin policy is the same thing in another form.
    map(template.get("Resources"))
        .forEach(
            (id, raw) -> {
              String managed = toJson(at(raw, "Properties", "ManagedPolicyArns"));
              if (managed.contains("AmazonS3")
                  || managed.contains("AdministratorAccess")
                  || managed.contains("PowerUserAccess")) {
                violations.add(id + ": broad managed policy " + managed);
              }
            });
    return violations;
  }

  static List<String> strings(Object o) {
    if (o == null) {
      return List.of();
    }
    if (o instanceof List<?> l) {
      return l.stream().map(String::valueOf).toList();
    }
    return List.of(String.valueOf(o));
  }
}
