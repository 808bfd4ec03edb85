package io.maaskit.training.corpus;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.codec.DecoderUtil;
import org.apache.james.mime4j.dom.Body;
import org.apache.james.mime4j.dom.Entity;
import org.apache.james.mime4j.dom.Message;
import org.apache.james.mime4j.dom.Multipart;
import org.apache.james.mime4j.dom.SingleBody;
import org.apache.james.mime4j.message.DefaultMessageBuilder;
import org.apache.james.mime4j.stream.Field;
import org.apache.james.mime4j.stream.MimeConfig;
import org.apache.james.mime4j.util.ByteSequence;
import org.apache.james.mime4j.util.MimeUtil;
import org.jsoup.nodes.Document;

/**
 * Turns one raw RFC 822 / MIME message into the text a classifier should see: the decoded Subject
 * and the readable body, nothing else.
 *
 * <p>MIME structure, transfer encodings and RFC 2047 header words are handled by Apache James
 * mime4j, HTML by jsoup ({@link HtmlText}). What stays here is the policy a corpus needs on top:
 * which parts carry the text (plain preferred, HTML when that is all there is or the plain part is
 * a stub, attachments skipped), how to guess the charset of the many mislabelled 2002-era mails,
 * and one normalisation of whitespace.
 *
 * <p>Routing headers (Received, Return-Path, Message-ID, X-Spam-*, ...) are dropped on purpose: in
 * this corpus they identify the collecting mail servers and the spam filter that sorted the mail,
 * so a model trained on them learns the collection setup instead of the language of spam.
 *
 * <p>Never throws on malformed input: mime4j runs in permissive mode with a silent decode monitor,
 * and a mail it still cannot read yields empty text (the corpus counts it as skipped).
 */
public final class MailParser {

  /** Subject and body of a parsed mail, each already whitespace-normalised. */
  public record ParsedMail(String subject, String body) {

    /**
     * Joins subject and body the way the corpus stores them, blank line between, and caps the
     * length so one giant mail (some spam carries whole newsletters) cannot dominate a batch.
     */
    public String text(int maxChars) {
      String joined;
      if (subject.isEmpty()) {
        joined = body;
      } else if (body.isEmpty()) {
        joined = subject;
      } else {
        joined = subject + "\n\n" + body;
      }
      return cap(joined, maxChars);
    }
  }

  /** Deeper nesting than this is either an attack or a broken mail; neither has useful text. */
  private static final int MAX_DEPTH = 16;

  /** Only its charset label is read, as a hint for the unlabelled 8-bit bytes of Asian spam. */
  private static final Pattern ENCODED_WORD_CHARSET = Pattern.compile("=\\?([^?\\s]+)\\?[BbQq]\\?");

  /** Inline signatures are base64 noise that would only teach "random tokens mean ham". */
  private static final Pattern PGP_SIGNATURE =
      Pattern.compile("(?s)-----BEGIN PGP SIGNATURE-----.*?-----END PGP SIGNATURE-----");

  /** Spam often sends HTML without a Content-Type or labelled text/plain. */
  private static final Pattern HTML_SNIFF =
      Pattern.compile("(?is)\\A\\s*<(!doctype\\s+html|html|head|body|meta|table|center|font|p)\\b");

  /**
   * Some spam sends a MIME body but drops the top-level Content-Type header. A line "--x" directly
   * followed by a Content-* header is a boundary in all but contrived cases.
   */
  private static final Pattern BARE_BOUNDARY =
      Pattern.compile("(?m)^--(\\S[^\\r\\n]{2,68}?\\S)[ \\t]*\\r?\\n(?i:content-)");

  private static final Charset WINDOWS_1252 = Charset.forName("windows-1252");

  private MailParser() {}

  /** Parses a raw message (bytes as stored on disk, any line ending). */
  public static ParsedMail parse(byte[] raw) {
    byte[] mail = withoutMboxEnvelope(raw);
    Message message = build(mail);
    if (message == null) {
      return new ParsedMail("", "");
    }
    if (message.getHeader().getField("Content-Type") == null) {
      Matcher m = BARE_BOUNDARY.matcher(latin1(mail));
      if (m.find()) {
        byte[] header =
            ("Content-Type: multipart/mixed; boundary=\"" + m.group(1) + "\"\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        Message reparsed = build(concat(header, mail));
        if (reparsed != null) {
          message = reparsed;
        }
      }
    }
    return parseMessage(message, 0);
  }

  /** Convenience for callers that only want the final corpus text. */
  public static String toText(byte[] raw, int maxChars) {
    return parse(raw).text(maxChars);
  }

  private static Message build(byte[] mail) {
    DefaultMessageBuilder builder = new DefaultMessageBuilder();
    builder.setMimeEntityConfig(
        MimeConfig.copy(MimeConfig.PERMISSIVE)
            // some spam omits the blank line after the headers; guessing "body" keeps its text
            .setMalformedHeaderStartsBody(true)
            .build());
    builder.setDecodeMonitor(DecodeMonitor.SILENT);
    try {
      return builder.parseMessage(new ByteArrayInputStream(mail));
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static ParsedMail parseMessage(Message message, int depth) {
    String rawSubject = rawFieldBody(message.getHeader().getField("Subject"));
    String hint = charsetHint(message, rawSubject);
    String subject = collapseToLine(decodeHeader(rawSubject, hint));
    Rendered body = render(message, depth, hint);
    return new ParsedMail(subject, normaliseText(body.text));
  }

  /** mbox files start with an envelope line ("From sender date") that is not a header. */
  private static byte[] withoutMboxEnvelope(byte[] raw) {
    if (raw.length < 5 || !new String(raw, 0, 5, StandardCharsets.ISO_8859_1).equals("From ")) {
      return raw;
    }
    int nl = 0;
    while (nl < raw.length && raw[nl] != '\n') {
      nl++;
    }
    byte[] rest = new byte[Math.max(0, raw.length - nl - 1)];
    System.arraycopy(raw, Math.min(raw.length, nl + 1), rest, 0, rest.length);
    return rest;
  }

  /**
   * The charset to try for unlabelled 8-bit text in this message: the top-level declaration, else
   * the charset of an encoded word in the Subject. Asian spam often labels only one of these and
   * leaves body or subject as raw bytes in the same charset.
   */
  private static String charsetHint(Message message, String rawSubject) {
    String declared = nullToEmpty(message.getCharset());
    if (lookupCharset(declared) != null) {
      return declared;
    }
    Matcher m = ENCODED_WORD_CHARSET.matcher(rawSubject);
    while (m.find()) {
      if (lookupCharset(m.group(1)) != null) {
        return m.group(1);
      }
    }
    return "";
  }

  // ---------------------------------------------------------------- rendering

  /** Text of an entity, and whether it came from HTML (needed to choose among alternatives). */
  private record Rendered(String text, boolean fromHtml) {
    static final Rendered NONE = new Rendered("", false);

    boolean isBlank() {
      return text.isBlank();
    }
  }

  private static Rendered render(Entity e, int depth, String hint) {
    if (depth > MAX_DEPTH) {
      return Rendered.NONE;
    }
    Body body = e.getBody();
    if (body instanceof Multipart multipart) {
      if (multipart.getBodyParts().isEmpty()) {
        // the declared boundary never occurs (spam gets it wrong), so everything is "preamble";
        // it is the mail's text, as a reader without MIME support would see it
        byte[] preamble =
            nullToEmpty(multipart.getPreamble()).getBytes(StandardCharsets.ISO_8859_1);
        return renderText(preamble, "text/plain", "", true, hint);
      }
      List<Rendered> children = new ArrayList<>();
      for (Entity part : multipart.getBodyParts()) {
        children.add(render(part, depth + 1, hint));
      }
      return multipart.getSubType().equalsIgnoreCase("alternative")
          ? chooseAlternative(children)
          : join(children);
    }
    if ("attachment".equalsIgnoreCase(e.getDispositionType())) {
      return Rendered.NONE;
    }
    if (body instanceof Message nested) {
      return new Rendered(parseMessage(nested, depth + 1).text(Integer.MAX_VALUE), false);
    }
    String mime = e.getMimeType().toLowerCase(Locale.ROOT);
    if (!(body instanceof SingleBody single) || !mime.startsWith("text/") || isIgnoredText(mime)) {
      return Rendered.NONE;
    }
    boolean typeWasGuessed = e.getHeader().getField("Content-Type") == null;
    return renderText(bytes(single), mime, nullToEmpty(e.getCharset()), typeWasGuessed, hint);
  }

  private static Rendered renderText(
      byte[] bytes, String mime, String charset, boolean typeWasGuessed, String hint) {
    if (mime.equals("text/html") && lookupCharset(charset) == null) {
      // HTML often declares its real charset (big5, euc-kr, ...) only in a <meta> tag
      Document declared = HtmlText.parseDeclared(bytes);
      if (declared != null && lookupCharset(declared.charset().name()) != null) {
        return new Rendered(HtmlText.toText(declared), true);
      }
    }
    String text = decodeBytes(bytes, charset, hint);
    boolean html =
        mime.equals("text/html")
            || (mime.equals("text/plain") && HTML_SNIFF.matcher(text).find())
            || (typeWasGuessed && containsHtmlDocument(text));
    if (html) {
      return new Rendered(HtmlText.toText(text), true);
    }
    if (mime.equals("text/enriched") || mime.equals("text/richtext")) {
      return new Rendered(HtmlText.stripTags(text), false);
    }
    return new Rendered(PGP_SIGNATURE.matcher(text).replaceAll(""), false);
  }

  private static byte[] bytes(SingleBody body) {
    try (InputStream in = body.getInputStream()) {
      return in.readAllBytes(); // transfer encoding already decoded by mime4j
    } catch (IOException e) {
      return new byte[0];
    }
  }

  private static boolean containsHtmlDocument(String text) {
    String lower = text.toLowerCase(Locale.ROOT);
    return lower.contains("<html") && lower.contains("</html>");
  }

  private static boolean isIgnoredText(String mime) {
    // machine-readable "text" that would only add noise tokens
    return mime.equals("text/x-vcard")
        || mime.equals("text/vcard")
        || mime.equals("text/directory")
        || mime.equals("text/calendar")
        || mime.equals("text/rfc822-headers");
  }

  /**
   * Plain text is what the sender wrote and the HTML sibling a rendering of it, so plain wins,
   * unless it is a stub ("this is an HTML message") under half the length of the HTML text: spam
   * uses such stubs to hide its real content from plain-text filters.
   */
  private static Rendered chooseAlternative(List<Rendered> children) {
    Rendered plain = null;
    Rendered html = null;
    for (Rendered r : children) {
      if (r.isBlank()) {
        continue;
      }
      if (!r.fromHtml() && plain == null) {
        plain = r;
      } else if (r.fromHtml() && html == null) {
        html = r;
      }
    }
    if (plain == null) {
      return html == null ? Rendered.NONE : html;
    }
    if (html != null
        && 2 * normaliseText(plain.text()).length() < normaliseText(html.text()).length()) {
      return html;
    }
    return plain;
  }

  private static Rendered join(List<Rendered> children) {
    StringBuilder sb = new StringBuilder();
    boolean html = false;
    for (Rendered r : children) {
      if (r.isBlank()) {
        continue;
      }
      if (sb.length() > 0) {
        sb.append("\n\n");
      }
      sb.append(r.text());
      html |= r.fromHtml();
    }
    return new Rendered(sb.toString(), html);
  }

  // ---------------------------------------------------------------- charsets

  /**
   * Decodes with the declared charset when Java knows it; otherwise, or when the declaration is
   * plain ASCII/Latin-1/UTF-8 (routinely wrong in 2002-era mail), uses UTF-8 if the bytes are valid
   * UTF-8, else {@code hint}, else windows-1252. windows-1252 rather than ISO-8859-1 because that
   * is what mailers labelled "iso-8859-1" actually wrote (curly quotes in 0x80-0x9F), the same rule
   * browsers apply.
   */
  static String decodeBytes(byte[] bytes, String declared, String hint) {
    Charset cs = lookupCharset(declared);
    if (cs != null) {
      return new String(bytes, cs); // malformed input becomes U+FFFD, removed by normaliseText
    }
    boolean ascii = true;
    for (byte b : bytes) {
      if (b < 0) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      return new String(bytes, StandardCharsets.US_ASCII);
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      Charset hinted = lookupCharset(hint);
      return new String(bytes, hinted != null ? hinted : WINDOWS_1252);
    }
  }

  /** {@code null} means "guess": unknown, unsupported, or a label we do not trust. */
  private static Charset lookupCharset(String declared) {
    String name = declared.strip().replace("\"", "").replace("'", "").toLowerCase(Locale.ROOT);
    switch (name) {
      case "", "us-ascii", "ascii", "iso-8859-1", "iso8859-1", "latin1", "utf-8", "utf8":
        return null;
      case "gb2312", "gb_2312-80", "x-gbk":
        name = "gbk"; // superset; spam labelled gb2312 routinely uses GBK-only characters
        break;
      case "chinesebig5", "x-x-big5":
        name = "big5";
        break;
      case "ks_c_5601":
        name = "euc-kr";
        break;
      case "x-sjis":
        name = "shift_jis";
        break;
      default:
        break;
    }
    try {
      return Charset.forName(name);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  // ---------------------------------------------------------------- headers

  /** The unfolded field body as raw bytes held one char per byte, or "" when absent. */
  private static String rawFieldBody(Field field) {
    if (field == null) {
      return "";
    }
    ByteSequence raw = field.getRaw();
    if (raw == null) {
      return nullToEmpty(field.getBody());
    }
    byte[] bytes = raw.toByteArray();
    int colon = 0;
    while (colon < bytes.length && bytes[colon] != ':') {
      colon++;
    }
    int start = Math.min(bytes.length, colon + 1);
    String body = new String(bytes, start, bytes.length - start, StandardCharsets.ISO_8859_1);
    return MimeUtil.unfold(body).strip();
  }

  /**
   * Raw 8-bit bytes get the same guess as unlabelled bodies (mail headers should be ASCII but spam
   * writes them raw), then mime4j decodes the RFC 2047 encoded words.
   */
  static String decodeHeader(String rawLatin1, String rawCharset) {
    String text = decodeBytes(rawLatin1.getBytes(StandardCharsets.ISO_8859_1), "", rawCharset);
    return DecoderUtil.decodeEncodedWords(
        text, DecodeMonitor.SILENT, null, ENCODED_WORD_CHARSET_OVERRIDES);
  }

  /** Labels that mailers wrote for a superset: the same rule as {@link #lookupCharset}. */
  private static final Map<Charset, Charset> ENCODED_WORD_CHARSET_OVERRIDES =
      Map.of(
          StandardCharsets.ISO_8859_1,
          WINDOWS_1252,
          StandardCharsets.US_ASCII,
          WINDOWS_1252,
          Charset.forName("GB2312"),
          Charset.forName("GBK"));

  // ---------------------------------------------------------------- normalisation

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }

  private static String latin1(byte[] raw) {
    return new String(raw, StandardCharsets.ISO_8859_1);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static String collapseToLine(String s) {
    return normaliseText(s).replace('\n', ' ');
  }

  /**
   * One space for any run of horizontal whitespace, lines trimmed, at most one blank line in a row,
   * invisible and control characters removed. Paragraph breaks survive because they carry structure
   * (signatures, quoted replies) a model can use.
   */
  static String normaliseText(String s) {
    StringBuilder out = new StringBuilder(s.length());
    int newlines = 0;
    boolean pendingSpace = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\r' || c == '\n') {
        if (c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n') {
          continue;
        }
        newlines++;
        pendingSpace = false;
        continue;
      }
      if (c == ' '
          || c == '\t'
          || c == '\u000B'
          || c == '\f'
          || c == '\u00A0'
          || (c >= '\u2000' && c <= '\u200A')
          || c == '\u202F'
          || c == '\u205F'
          || c == '\u3000') {
        pendingSpace = true;
        continue;
      }
      if (c < ' '
          || (c >= '\u007F' && c <= '\u009F')
          || c == '\uFFFD'
          || c == '\uFEFF'
          || (c >= '\u200B' && c <= '\u200D')
          || c == '\u00AD') {
        continue;
      }
      if (out.length() > 0) {
        if (newlines > 0) {
          out.append(newlines > 1 ? "\n\n" : "\n");
        } else if (pendingSpace) {
          out.append(' ');
        }
      }
      newlines = 0;
      pendingSpace = false;
      out.append(c);
    }
    return out.toString();
  }

  static String cap(String s, int maxChars) {
    if (s.length() <= maxChars) {
      return s;
    }
    int end = maxChars;
    if (end > 0 && Character.isHighSurrogate(s.charAt(end - 1))) {
      end--;
    }
    return s.substring(0, end).strip();
  }
}
