package io.maaskit.training.corpus;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Set;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;
import org.jsoup.select.NodeVisitor;

/**
 * The words a reader would see in an HTML mail body, via jsoup (which parses broken HTML the way a
 * browser does). Invisible elements ({@code <style>}, {@code <script>}, the head) are dropped,
 * source whitespace is collapsed, and block elements become line breaks so paragraphs survive.
 */
final class HtmlText {

  /** Never rendered as text; CSS and script source would teach the model markup, not language. */
  private static final String INVISIBLE =
      "head, title, style, script, noscript, template, xml, object, iframe";

  /** Elements a browser starts on a new line; their boundaries become {@code \n}. */
  private static final Set<String> BLOCK =
      Set.of(
          "br",
          "p",
          "div",
          "tr",
          "table",
          "li",
          "ul",
          "ol",
          "h1",
          "h2",
          "h3",
          "h4",
          "h5",
          "h6",
          "hr",
          "blockquote",
          "pre",
          "center",
          "dd",
          "dt",
          "dl",
          "form",
          "address",
          "tbody",
          "thead",
          "tfoot",
          "caption",
          "body");

  /** Table cells sit side by side; a space keeps their words apart. */
  private static final Set<String> CELL = Set.of("td", "th");

  private HtmlText() {}

  /** Visible text of an HTML document given as a string. */
  static String toText(String html) {
    return toText(Jsoup.parse(html));
  }

  /**
   * Parses HTML bytes whose charset only the document itself may declare ({@code <meta charset>} or
   * {@code http-equiv}); {@code null} when it declares none, so the caller can guess.
   */
  static Document parseDeclared(byte[] html) {
    try {
      Document doc = Jsoup.parse(new ByteArrayInputStream(html), null, "");
      return declaresCharset(doc) ? doc : null;
    } catch (IOException e) {
      throw new UncheckedIOException(e); // cannot happen for an in-memory stream
    }
  }

  private static boolean declaresCharset(Document doc) {
    return doc.selectFirst("meta[charset], meta[http-equiv=content-type][content*=charset]")
        != null;
  }

  /** Visible text of a parsed document. */
  static String toText(Document doc) {
    doc.select(INVISIBLE).remove();
    StringBuilder out = new StringBuilder();
    NodeVisitor visitor =
        new NodeVisitor() {
          @Override
          public void head(Node node, int depth) {
            if (node instanceof TextNode text) {
              out.append(text.text()); // whitespace runs collapsed to one space
            } else {
              boundary(node);
            }
          }

          @Override
          public void tail(Node node, int depth) {
            // <br> has no closing tag: one break, not two
            if (!(node instanceof TextNode) && !"br".equals(node.normalName())) {
              boundary(node);
            }
          }

          private void boundary(Node node) {
            if (node instanceof Element e) {
              String tag = e.normalName();
              if (BLOCK.contains(tag)) {
                out.append('\n');
              } else if (CELL.contains(tag)) {
                out.append(' ');
              }
            }
          }
        };
    visitor.traverse(doc.body() != null ? doc.body() : doc);
    return out.toString();
  }

  /** For text/enriched and similar markup-light text: tags dropped, the text's own breaks kept. */
  static String stripTags(String text) {
    return Jsoup.parseBodyFragment(text).body().wholeText();
  }
}
