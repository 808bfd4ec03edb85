package io.maaskit.training.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MailParserTest {

  static byte[] resource(String name) throws IOException {
    try (InputStream in = MailParserTest.class.getResourceAsStream("/corpus/" + name)) {
      if (in == null) {
        throw new IOException("missing test resource /corpus/" + name);
      }
      return in.readAllBytes();
    }
  }

  private static String text(String resource) throws IOException {
    return MailParser.toText(resource(resource), SpamAssassinCorpus.DEFAULT_MAX_CHARS);
  }

  @Test
  void quotedPrintableBodyIsDecodedWithItsCharset() throws IOException {
    MailParser.ParsedMail mail = MailParser.parse(resource("quoted-printable.eml"));

    assertEquals("Menu for the week", mail.subject());
    assertEquals(
        "Today at the café: crème brûlée.\n"
            + "This sentence is split by a soft line break and continues here.\n"
            + "An equals sign: 2 + 2 = 4.",
        mail.body());
  }

  @Test
  void base64Utf8BodyIsDecoded() throws IOException {
    assertEquals(
        "Angebot\n\nGrüße aus Köln – jetzt 100% gratis!\nZweite Zeile mit Umlauten: äöü.",
        text("base64.eml"));
  }

  @Test
  void multipartAlternativePrefersPlainTextAndSkipsAttachmentsPreambleAndEpilogue()
      throws IOException {
    String text = text("alternative-html.eml");

    assertEquals("Your order\n\nYour order 4711 has shipped.\nIt will arrive on Monday.", text);
    assertFalse(text.contains("HTML-ONLY-MARKER"), text);
    assertFalse(text.contains("TEXT-ATTACHMENT-MARKER"), text);
    assertFalse(text.contains("BINARY-MARKER"), text);
    assertFalse(text.contains("multi-part message"), text);
    assertFalse(text.contains("EPILOGUE-MARKER"), text);
  }

  @Test
  void htmlIsUsedWhenThePlainAlternativeIsOnlyAStub() throws IOException {
    String text = text("html-stub.eml");

    assertTrue(text.startsWith("Special offer\n\n"), text);
    assertFalse(text.contains("This is an HTML message"), text);
    assertTrue(text.contains("Dear friend,"), text);
    // the comment splitting the word is removed without leaving a gap
    assertTrue(text.contains("Buy cheap Viagra & save 50% \u2013 today\u2122!"), text);
    assertTrue(text.contains("Cell one Cell two"), text);
    assertTrue(text.contains("Click here\nCafé <ok>"), text);
    for (String hidden :
        new String[] {"HEAD-TITLE-MARKER", "STYLE-MARKER", "SCRIPT_MARKER", "COMMENT-MARKER"}) {
      assertFalse(text.contains(hidden), hidden + " leaked into: " + text);
    }
    assertFalse(
        text.matches("(?s).*</?(p|b|td|tr|table|a|br|html|body|head)\\b.*"),
        "tags left in: " + text);
    assertFalse(text.contains("=3D"), text);
  }

  @Test
  void encodedWordsInSubjectAreDecodedAndJoined() throws IOException {
    MailParser.ParsedMail mail = MailParser.parse(resource("encoded-subject.eml"));

    // "Grüß" (B) and "e und ..." (Q) are split mid-word: the folding whitespace between two
    // encoded words must vanish, the underscores inside the Q word become spaces
    assertEquals("Grüße und café crème [list]", mail.subject());
    assertEquals("Plain body.", mail.body());
  }

  @Test
  void onlySubjectSurvivesFromTheHeadersAndWhitespaceIsCollapsed() throws IOException {
    String text = text("headers.eml");

    assertEquals(
        "Re: New Sequences Window\n\nHello list,\n\nI can't reproduce this error. Tabs too.\n\n"
            + "Thanks.",
        text);
    for (String header :
        new String[] {
          "Received",
          "From",
          "Return-Path",
          "Delivered-To",
          "To:",
          "Message-Id",
          "X-Spam",
          "X-Mailer",
          "Date:",
          "phobos",
          "listman",
          "bounce@"
        }) {
      assertFalse(text.contains(header), header + " leaked into: " + text);
    }
  }

  @Test
  void unlabelledEightBitTextFallsBackToWindows1252WhenNotUtf8() {
    byte[] latin =
        "Subject: Pr\u00e9sentation\n\nVoil\u00e0 \u0093quoted\u0094\n"
            .getBytes(StandardCharsets.ISO_8859_1);
    // 0x93/0x94 are curly quotes in windows-1252, control characters in ISO-8859-1
    assertEquals("Présentation\n\nVoilà \u201Cquoted\u201D", MailParser.toText(latin, 1000));

    byte[] utf8 = "Subject: Pr\u00e9sentation\n\nVoil\u00e0\n".getBytes(StandardCharsets.UTF_8);
    assertEquals("Présentation\n\nVoilà", MailParser.toText(utf8, 1000));
  }

  @Test
  void declaredCharsetIsHonoured() {
    byte[] head =
        ("Subject: x\nContent-Type: text/plain; charset=koi8-r\n\n")
            .getBytes(StandardCharsets.US_ASCII);
    byte[] body = "Привет".getBytes(java.nio.charset.Charset.forName("KOI8-R"));
    byte[] mail = new byte[head.length + body.length];
    System.arraycopy(head, 0, mail, 0, head.length);
    System.arraycopy(body, 0, mail, head.length, body.length);

    assertEquals("x\n\nПривет", MailParser.toText(mail, 1000));
  }

  @Test
  void unknownCharsetDoesNotFailTheMail() {
    byte[] mail =
        "Subject: s\nContent-Type: text/plain; charset=x-no-such-charset\n\nhello\n"
            .getBytes(StandardCharsets.US_ASCII);
    assertEquals("s\n\nhello", MailParser.toText(mail, 1000));
  }

  @Test
  void mimeBodyWithoutTopLevelContentTypeIsStillSplit() {
    String raw =
        "Subject: no header\n\nThis is a MIME Message\n\n"
            + "--= Boundary 42\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n"
            + "SGVsbG8gd29ybGQ=\n--= Boundary 42--\n";
    assertEquals(
        "no header\n\nHello world",
        MailParser.toText(raw.getBytes(StandardCharsets.US_ASCII), 1000));
  }

  @Test
  void messageRfc822PartsContributeTheirSubjectAndBodyButNotHeaders() {
    String raw =
        "Subject: Fwd: hi\nContent-Type: multipart/mixed; boundary=XX\n\n"
            + "--XX\nContent-Type: text/plain\n\nSee below.\n"
            + "--XX\nContent-Type: message/rfc822\n\n"
            + "Received: from inner.example\nFrom: a@inner.example\nSubject: hi\n\nInner body.\n"
            + "--XX--\n";
    assertEquals(
        "Fwd: hi\n\nSee below.\n\nhi\n\nInner body.",
        MailParser.toText(raw.getBytes(StandardCharsets.US_ASCII), 1000));
  }

  @Test
  void crlfLineEndingsAreHandled() {
    String raw =
        "Subject: crlf\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
            + "soft=\r\nbreak\r\nline two\r\n";
    assertEquals(
        "crlf\n\nsoftbreak\nline two",
        MailParser.toText(raw.getBytes(StandardCharsets.US_ASCII), 1000));
  }

  @Test
  void textIsCappedWithoutSplittingASurrogatePair() {
    String longBody = "a".repeat(50) + "\uD83D\uDE00" + "b".repeat(50);
    byte[] mail =
        ("Subject: s\nContent-Type: text/plain; charset=utf-8\n\n" + longBody)
            .getBytes(StandardCharsets.UTF_8);

    assertEquals(20, MailParser.toText(mail, 20).length());
    String cut = MailParser.toText(mail, 54); // "s\n\n" + 50 a + high surrogate would be 54
    assertEquals("s\n\n" + "a".repeat(50), cut);
  }

  @Test
  void mailWithoutTextYieldsEmptyText() {
    String raw =
        "Content-Type: image/gif\nContent-Transfer-Encoding: base64\n\nR0lGODlhAQABAAAAACw=\n";
    assertEquals("", MailParser.toText(raw.getBytes(StandardCharsets.US_ASCII), 1000));
  }

  private static String mail(String headers, String body) {
    return MailParser.toText((headers + "\n\n" + body).getBytes(StandardCharsets.ISO_8859_1), 1000);
  }

  @Test
  void quotedPrintableDecodingIsLenient() {
    // soft breaks with trailing blanks vanish, a malformed escape stays literal
    assertEquals(
        "s\n\na=b=ZZc x\n\u00e9",
        mail(
            "Subject: s\nContent-Type: text/plain; charset=iso-8859-1\n"
                + "Content-Transfer-Encoding: quoted-printable",
            "a=3Db=ZZc=  \n= \t\n \tx\n=e9\n"));
  }

  @Test
  void base64DecodingIgnoresNoiseAndMissingPadding() {
    String headers = "Subject: s\nContent-Transfer-Encoding: base64";
    assertEquals("s\n\nHello world", mail(headers, "SGVs bG8g\nd29y*bGQ=\n"));
    assertEquals("s\n\nHi", mail(headers, "SGk=\n=junk\n"));
    // unpadded: mime4j drops the incomplete last quantum ("ld") instead of guessing it
    assertEquals("s\n\nHello wor", mail(headers, "SGVs bG8g\nd29y*bGQ\n"));
  }

  @Test
  void htmlEntitiesAreDecoded() {
    assertEquals(
        "s\n\na & b < c > d \" e ' f g \u00e9 h \u2019 i \u20ac j &unknown; k \u2122",
        mail(
            "Subject: s\nContent-Type: text/html",
            "<p>a &amp; b &lt; c &gt; d &quot; e &#39; f &nbsp; g &eacute; h &rsquo; i &euro;"
                + " j &unknown; k &#153;</p>"));
  }

  @Test
  void multipartWhoseBoundaryNeverOccursKeepsItsText() {
    // spam-1/00467 declares boundary "=Multipart..." but writes "--= Multipart..."
    String text =
        mail(
            "Subject: s\nContent-Type: multipart/alternative; boundary=\"=B 1\"",
            "--= B 1\nContent-Type: text/plain\n\n<html><body><p>Cheap ink</p></body></html>\n");
    assertTrue(text.startsWith("s\n\n"), text);
    assertTrue(text.contains("Cheap ink"), text);
  }

  @Test
  void latin1EncodedWordsAreReadAsWindows1252() {
    // hard-ham-1/00149: 0x99 is the trade mark sign in what mailers meant by "iso-8859-1"
    assertEquals(
        "Matrox Parhelia\u2122 now available\n\nx",
        mail("Subject: =?iso-8859-1?Q?Matrox_Parhelia=99_now_available?=", "x"));
  }
}
