package io.maaskit.training.corpus;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns one raw RFC 822 / MIME message into the text a classifier should see: the decoded Subject
 * and the readable body, nothing else.
 *
 * <p>Routing headers (Received, Return-Path, Message-ID, X-Spam-*, ...) are dropped on purpose: in
 * this corpus they identify the collecting mail servers and the spam filter that sorted the mail,
 * so a model trained on them learns the collection setup instead of the language of spam.
 *
 * <p>The parser works on the raw bytes, held as an ISO-8859-1 string (one char per byte) until a
 * part's charset is known, because the corpus contains 8-bit mails in many charsets and decoding
 * the whole file up front (as the package's {@code .json} copies did) loses those bytes. It never
 * throws on malformed input: a broken part degrades to its raw text rather than failing the mail.
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

  private static final Pattern ENCODED_WORD =
      Pattern.compile("=\\?([^?\\s]+)\\?([BbQq])\\?([^?]*)\\?=");
  private static final Pattern META_CHARSET =
      Pattern.compile("(?i)<meta\\b[^>]*charset\\s*=\\s*[\"']?([A-Za-z0-9._:-]+)");

  /** Inline signatures are base64 noise that would only teach "random tokens mean ham". */
  private static final Pattern PGP_SIGNATURE =
      Pattern.compile("(?s)-----BEGIN PGP SIGNATURE-----.*?-----END PGP SIGNATURE-----");

  private static final Pattern HTML_SNIFF =
      Pattern.compile("(?is)\\A\\s*<(!doctype\\s+html|html|head|body|meta|table|center|font|p)\\b");

  private MailParser() {}

  /** Parses a raw message (bytes as stored on disk, any line ending). */
  public static ParsedMail parse(byte[] raw) {
    return parseMessage(latin1(raw), 0);
  }

  /** Convenience for callers that only want the final corpus text. */
  public static String toText(byte[] raw, int maxChars) {
    return parse(raw).text(maxChars);
  }

  private static ParsedMail parseMessage(String bytes, int depth) {
    Entity entity = Entity.split(normaliseLineEndings(bytes), true);
    String rawSubject = entity.header("subject");
    String hint = charsetHint(entity, rawSubject);
    String subject = collapseToLine(decodeHeader(rawSubject, hint));
    Rendered body = render(entity, "text/plain", depth, hint);
    return new ParsedMail(subject, normaliseText(body.text));
  }

  /**
   * The charset to try for unlabelled 8-bit text in this message: the top-level declaration, else
   * the charset of an encoded word in the Subject. Asian spam often labels only one of these and
   * leaves body or subject as raw bytes in the same charset.
   */
  private static String charsetHint(Entity entity, String rawSubject) {
    String declared =
        ContentType.parse(entity.header("content-type"), "text/plain").param("charset");
    if (lookupCharset(declared) != null) {
      return declared;
    }
    Matcher m = ENCODED_WORD.matcher(rawSubject);
    while (m.find()) {
      if (lookupCharset(m.group(1)) != null) {
        return m.group(1);
      }
    }
    return "";
  }

  // ---------------------------------------------------------------- entity structure

  /** Headers (first occurrence wins, names lower-cased) plus the still-encoded body. */
  private static final class Entity {
    final Map<String, String> headers;
    final String body;

    private Entity(Map<String, String> headers, String body) {
      this.headers = headers;
      this.body = body;
    }

    String header(String name) {
      return headers.getOrDefault(name, "");
    }

    /**
     * Splits at the first blank line. A line that is neither a header nor a continuation also ends
     * the header block: some spam omits the blank line, and guessing "body" keeps its text.
     */
    static Entity split(String s, boolean topLevel) {
      Map<String, String> headers = new HashMap<>();
      String name = null;
      StringBuilder value = null;
      int pos = 0;
      int n = s.length();
      boolean first = true;
      while (pos < n) {
        int nl = s.indexOf('\n', pos);
        int end = nl < 0 ? n : nl;
        int next = nl < 0 ? n : nl + 1;
        if (end == pos) {
          pos = next;
          break;
        }
        char c0 = s.charAt(pos);
        if (first && topLevel && s.startsWith("From ", pos)) {
          // mbox envelope line, not a header
          first = false;
          pos = next;
          continue;
        }
        first = false;
        if ((c0 == ' ' || c0 == '\t') && name != null) {
          value.append(' ').append(s, pos, end);
          pos = next;
          continue;
        }
        int colon = headerNameEnd(s, pos, end);
        if (colon < 0) {
          break;
        }
        if (name != null) {
          headers.putIfAbsent(name, value.toString().strip());
        }
        name = s.substring(pos, colon).strip().toLowerCase(Locale.ROOT);
        value = new StringBuilder(s.substring(colon + 1, end));
        pos = next;
      }
      if (name != null) {
        headers.putIfAbsent(name, value.toString().strip());
      }
      return new Entity(headers, s.substring(Math.min(pos, n)));
    }

    /** Index of the colon ending a field name (printable ASCII, no spaces), or -1. */
    private static int headerNameEnd(String s, int from, int end) {
      int i = from;
      while (i < end) {
        char c = s.charAt(i);
        if (c == ':' || c <= ' ' || c > '~') {
          break;
        }
        i++;
      }
      if (i == from) {
        return -1;
      }
      // tolerate "Name :" as written by a few old mailers
      while (i < end && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
        i++;
      }
      return i < end && s.charAt(i) == ':' ? i : -1;
    }
  }

  /** A media type with lower-cased parameter names. */
  record ContentType(String mime, Map<String, String> params) {

    static ContentType parse(String value, String defaultMime) {
      List<String> pieces = splitParams(value);
      String mime = pieces.isEmpty() ? "" : pieces.get(0).strip().toLowerCase(Locale.ROOT);
      if (mime.equals("text")) {
        mime = "text/plain";
      }
      if (mime.indexOf('/') <= 0) {
        mime = defaultMime;
      }
      Map<String, String> params = new HashMap<>();
      for (int i = 1; i < pieces.size(); i++) {
        String p = pieces.get(i);
        int eq = p.indexOf('=');
        if (eq <= 0) {
          continue;
        }
        String key = p.substring(0, eq).strip().toLowerCase(Locale.ROOT);
        String val = unquote(p.substring(eq + 1).strip());
        if (key.endsWith("*")) {
          // RFC 2231 extended value: charset'lang'percent-encoded; only its presence matters here
          key = key.substring(0, key.length() - 1);
          int q = val.lastIndexOf('\'');
          if (q >= 0) {
            val = val.substring(q + 1);
          }
        }
        params.putIfAbsent(key, val);
      }
      return new ContentType(mime, params);
    }

    String param(String name) {
      return params.getOrDefault(name, "");
    }

    private static List<String> splitParams(String value) {
      List<String> out = new ArrayList<>();
      StringBuilder cur = new StringBuilder();
      boolean quoted = false;
      for (int i = 0; i < value.length(); i++) {
        char c = value.charAt(i);
        if (c == '"') {
          quoted = !quoted;
        } else if (c == '\\' && quoted && i + 1 < value.length()) {
          cur.append(c).append(value.charAt(++i));
          continue;
        } else if (c == ';' && !quoted) {
          out.add(cur.toString());
          cur.setLength(0);
          continue;
        }
        cur.append(c);
      }
      out.add(cur.toString());
      return out;
    }

    private static String unquote(String v) {
      if (v.length() >= 2 && v.charAt(0) == '"') {
        int close = v.indexOf('"', 1);
        String inner = close > 0 ? v.substring(1, close) : v.substring(1);
        return inner.replaceAll("\\\\(.)", "$1");
      }
      int space = v.indexOf(' ');
      return space > 0 ? v.substring(0, space) : v;
    }
  }

  // ---------------------------------------------------------------- rendering

  /** Text of an entity, and whether it came from HTML (needed to choose among alternatives). */
  private record Rendered(String text, boolean fromHtml) {
    static final Rendered NONE = new Rendered("", false);

    boolean isBlank() {
      return text.isBlank();
    }
  }

  private static Rendered render(Entity e, String defaultMime, int depth, String hint) {
    if (depth > MAX_DEPTH) {
      return Rendered.NONE;
    }
    String ctHeader = e.header("content-type");
    ContentType ct = ContentType.parse(ctHeader, defaultMime);
    if (ctHeader.isBlank() && defaultMime.equals("text/plain")) {
      String sniffed = sniffBoundary(e.body);
      if (sniffed != null) {
        ct = new ContentType("multipart/mixed", Map.of("boundary", sniffed));
      }
    }
    String mime = ct.mime();
    if (mime.startsWith("multipart/")) {
      List<String> parts = splitMultipart(e.body, ct.param("boundary"));
      if (parts == null) {
        // no usable boundary: the body is most likely readable text anyway
        return renderText(e, new ContentType("text/plain", ct.params()), true, hint);
      }
      String childDefault = mime.equals("multipart/digest") ? "message/rfc822" : "text/plain";
      List<Rendered> children = new ArrayList<>();
      for (String part : parts) {
        children.add(render(Entity.split(part, false), childDefault, depth + 1, hint));
      }
      return mime.equals("multipart/alternative") ? chooseAlternative(children) : join(children);
    }
    if (isAttachment(e)) {
      return Rendered.NONE;
    }
    if (mime.equals("message/rfc822")) {
      String inner = latin1(transferDecode(e.body, e.header("content-transfer-encoding")));
      ParsedMail nested = parseMessage(inner, depth + 1);
      return new Rendered(nested.text(Integer.MAX_VALUE), false);
    }
    if (!mime.startsWith("text/") || isIgnoredText(mime)) {
      return Rendered.NONE;
    }
    return renderText(e, ct, ctHeader.isBlank(), hint);
  }

  private static Rendered renderText(
      Entity e, ContentType ct, boolean typeWasGuessed, String hint) {
    byte[] bytes = transferDecode(e.body, e.header("content-transfer-encoding"));
    String charset = ct.param("charset");
    if (lookupCharset(charset) == null) {
      // HTML often declares its real charset (big5, euc-kr, ...) only in a <meta> tag
      Matcher meta = META_CHARSET.matcher(latin1(bytes, 4096));
      if (meta.find()) {
        charset = meta.group(1);
      }
    }
    String text = decodeBytes(bytes, charset, hint);
    String mime = ct.mime();
    boolean html =
        mime.equals("text/html")
            // spam often sends HTML without a Content-Type or labelled text/plain
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

  private static boolean isAttachment(Entity e) {
    String disposition = e.header("content-disposition").strip().toLowerCase(Locale.ROOT);
    return disposition.startsWith("attachment");
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

  private static final Pattern BARE_BOUNDARY =
      Pattern.compile("(?m)^--(\\S[^\\n]{2,68}?\\S)[ \\t]*\\n(?i:content-)");

  /**
   * Some spam sends a MIME body but drops the top-level Content-Type header. A line "--x" directly
   * followed by a Content-* header is a boundary in all but contrived cases.
   */
  private static String sniffBoundary(String body) {
    Matcher m = BARE_BOUNDARY.matcher(body);
    return m.find() ? m.group(1) : null;
  }

  /**
   * Parts between boundary delimiter lines, preamble and epilogue dropped; {@code null} when the
   * boundary is missing or never occurs, so the caller can fall back to the raw body.
   */
  static List<String> splitMultipart(String body, String boundary) {
    if (boundary.isEmpty()) {
      return null;
    }
    String delim = "--" + boundary;
    List<String> parts = new ArrayList<>();
    int partStart = -1;
    int pos = 0;
    int n = body.length();
    boolean sawDelimiter = false;
    while (pos < n) {
      int nl = body.indexOf('\n', pos);
      int end = nl < 0 ? n : nl;
      int next = nl < 0 ? n : nl + 1;
      if (body.startsWith(delim, pos)) {
        String rest = body.substring(pos + delim.length(), end).strip();
        boolean close = rest.equals("--");
        if (rest.isEmpty() || close) {
          sawDelimiter = true;
          if (partStart >= 0) {
            parts.add(body.substring(partStart, Math.max(partStart, pos - 1)));
          }
          if (close) {
            partStart = -1;
            break;
          }
          partStart = next;
        }
      }
      pos = next;
    }
    if (partStart >= 0 && partStart < n) {
      parts.add(body.substring(partStart)); // unterminated last part
    }
    return sawDelimiter ? parts : null;
  }

  // ---------------------------------------------------------------- transfer encodings

  static byte[] transferDecode(String body, String cte) {
    String enc = cte.strip().toLowerCase(Locale.ROOT);
    if (enc.equals("base64")) {
      return decodeBase64(body);
    }
    if (enc.equals("quoted-printable")) {
      return decodeQuotedPrintable(body);
    }
    return body.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** Lenient: ignores foreign characters and bad padding instead of failing the mail. */
  static byte[] decodeBase64(String s) {
    StringBuilder clean = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '=') {
        break;
      }
      if ((c >= 'A' && c <= 'Z')
          || (c >= 'a' && c <= 'z')
          || (c >= '0' && c <= '9')
          || c == '+'
          || c == '/') {
        clean.append(c);
      }
    }
    if (clean.length() % 4 == 1) {
      clean.setLength(clean.length() - 1);
    }
    try {
      return Base64.getDecoder().decode(clean.toString());
    } catch (IllegalArgumentException e) {
      return new byte[0];
    }
  }

  /** Soft line breaks removed, {@code =XX} decoded, malformed escapes kept literally. */
  static byte[] decodeQuotedPrintable(String s) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
    int n = s.length();
    int i = 0;
    while (i < n) {
      char c = s.charAt(i);
      if (c == '=') {
        int j = i + 1;
        while (j < n && (s.charAt(j) == ' ' || s.charAt(j) == '\t' || s.charAt(j) == '\r')) {
          j++;
        }
        if (j >= n || s.charAt(j) == '\n') {
          i = j + 1; // soft line break
          continue;
        }
        if (i + 2 < n && hex(s.charAt(i + 1)) >= 0 && hex(s.charAt(i + 2)) >= 0) {
          out.write(hex(s.charAt(i + 1)) << 4 | hex(s.charAt(i + 2)));
          i += 3;
          continue;
        }
      }
      out.write(c & 0xff);
      i++;
    }
    return out.toByteArray();
  }

  private static int hex(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    return -1;
  }

  // ---------------------------------------------------------------- charsets

  /**
   * Decodes with the declared charset when Java knows it; otherwise, or when the declaration is
   * plain ASCII/Latin-1/UTF-8 (routinely wrong in 2002-era mail), uses UTF-8 if the bytes are valid
   * UTF-8 and windows-1252 if not. windows-1252 rather than ISO-8859-1 because that is what mailers
   * labelled "iso-8859-1" actually wrote (curly quotes in 0x80-0x9F), the same rule browsers apply.
   */
  static String decodeBytes(byte[] bytes, String declared) {
    return decodeBytes(bytes, declared, "");
  }

  /** As {@link #decodeBytes(byte[], String)}; {@code hint} replaces windows-1252 as last guess. */
  static String decodeBytes(byte[] bytes, String declared, String hint) {
    Charset cs = lookupCharset(declared);
    if (cs != null) {
      return decode(bytes, cs);
    }
    return decodeUnlabelled(bytes, hint);
  }

  private static String decodeUnlabelled(byte[] bytes, String hint) {
    boolean ascii = true;
    for (byte b : bytes) {
      if (b < 0) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      return new String(bytes, StandardCharsets.ISO_8859_1);
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
      return decode(bytes, hinted != null ? hinted : WINDOWS_1252);
    }
  }

  private static final Charset WINDOWS_1252 = Charset.forName("windows-1252");

  /** {@code null} means "guess": unknown, unsupported, or a label we do not trust. */
  private static Charset lookupCharset(String declared) {
    String name = declared.strip().replace("\"", "").replace("'", "").toLowerCase(Locale.ROOT);
    int star = name.indexOf('*'); // RFC 2231 language suffix, e.g. utf-8*en
    if (star >= 0) {
      name = name.substring(0, star);
    }
    switch (name) {
      case "":
      case "us-ascii":
      case "ascii":
      case "iso-8859-1":
      case "iso8859-1":
      case "latin1":
      case "utf-8":
      case "utf8":
        return null;
      case "gb2312":
      case "gb_2312-80":
      case "x-gbk":
        name = "gbk"; // superset; spam labelled gb2312 routinely uses GBK-only characters
        break;
      case "chinesebig5":
      case "x-x-big5":
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

  private static String decode(byte[] bytes, Charset cs) {
    return new String(bytes, cs); // malformed input becomes U+FFFD, removed by normaliseText
  }

  // ---------------------------------------------------------------- headers

  /**
   * Decodes RFC 2047 encoded words; whitespace between two adjacent encoded words is dropped as the
   * RFC requires. Raw 8-bit header bytes get the same UTF-8-or-windows-1252 guess as bodies.
   */
  static String decodeHeader(String rawLatin1) {
    return decodeHeader(rawLatin1, "");
  }

  /** As {@link #decodeHeader(String)}, with a charset to guess for raw non-UTF-8 bytes. */
  static String decodeHeader(String rawLatin1, String rawCharset) {
    Matcher m = ENCODED_WORD.matcher(rawLatin1);
    StringBuilder out = new StringBuilder();
    int last = 0;
    boolean previousWasEncoded = false;
    while (m.find()) {
      String gap = rawLatin1.substring(last, m.start());
      if (!(previousWasEncoded && gap.isBlank())) {
        out.append(decodeBytes(gap.getBytes(StandardCharsets.ISO_8859_1), "", rawCharset));
      }
      byte[] payload =
          m.group(2).equalsIgnoreCase("B")
              ? decodeBase64(m.group(3))
              : decodeQuotedPrintable(m.group(3).replace('_', ' '));
      out.append(decodeBytes(payload, m.group(1)));
      last = m.end();
      previousWasEncoded = true;
    }
    byte[] tail = rawLatin1.substring(last).getBytes(StandardCharsets.ISO_8859_1);
    out.append(decodeBytes(tail, "", rawCharset));
    return out.toString();
  }

  // ---------------------------------------------------------------- normalisation

  private static String latin1(byte[] raw) {
    return new String(raw, StandardCharsets.ISO_8859_1);
  }

  private static String latin1(byte[] raw, int maxBytes) {
    return new String(raw, 0, Math.min(raw.length, maxBytes), StandardCharsets.ISO_8859_1);
  }

  private static String normaliseLineEndings(String s) {
    return s.indexOf('\r') < 0 ? s : s.replace("\r\n", "\n").replace('\r', '\n');
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
