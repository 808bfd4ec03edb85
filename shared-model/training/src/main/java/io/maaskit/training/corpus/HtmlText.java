package io.maaskit.training.corpus;

import java.nio.charset.Charset;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rough HTML-to-text conversion for mail bodies. Regex-based on purpose: the input is often broken
 * HTML that strict parsers reject, the goal is the words a reader would see, and the package stays
 * free of an HTML-parser dependency.
 */
final class HtmlText {

  private static final Pattern COMMENT = Pattern.compile("(?s)<!--.*?(-->|\\z)");
  private static final Pattern INVISIBLE =
      Pattern.compile("(?is)<(script|style|head|title|xml|object)\\b[^>]*>.*?</\\1\\s*>");
  private static final Pattern WHITESPACE = Pattern.compile("\\s+");
  private static final Pattern BLOCK_TAG =
      Pattern.compile(
          "(?i)<\\s*/?\\s*(br|p|div|tr|table|li|ul|ol|h[1-6]|hr|blockquote|pre|center|dd|dt|dl"
              + "|form|address|tbody|thead|tfoot|caption)\\b[^>]*>");
  private static final Pattern CELL_TAG = Pattern.compile("(?i)<\\s*/?\\s*(td|th)\\b[^>]*>");
  private static final Pattern ANY_TAG = Pattern.compile("</?[a-zA-Z!?][^>]*>");
  private static final Pattern ENTITY =
      Pattern.compile("&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});?");

  private static final Charset WINDOWS_1252 = Charset.forName("windows-1252");
  private static final Map<String, String> ENTITIES = new HashMap<>();

  static {
    // HTML 4 Latin-1 entities, in code point order from U+00A0
    String latin1 =
        "nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg"
            + " plusmn sup2 sup3 acute micro para middot cedil sup1 ordm raquo frac14 frac12"
            + " frac34 iquest Agrave Aacute Acirc Atilde Auml Aring AElig Ccedil Egrave Eacute"
            + " Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde Ouml"
            + " times Oslash Ugrave Uacute Ucirc Uuml Yacute THORN szlig agrave aacute acirc"
            + " atilde auml aring aelig ccedil egrave eacute ecirc euml igrave iacute icirc iuml"
            + " eth ntilde ograve oacute ocirc otilde ouml divide oslash ugrave uacute ucirc uuml"
            + " yacute thorn yuml";
    int cp = 0xA0;
    for (String name : latin1.split(" ")) {
      ENTITIES.put(name, String.valueOf((char) cp++));
    }
    String[][] more = {
      {"amp", "&"},
      {"lt", "<"},
      {"gt", ">"},
      {"quot", "\""},
      {"apos", "'"},
      {"ndash", "\u2013"},
      {"mdash", "\u2014"},
      {"lsquo", "\u2018"},
      {"rsquo", "\u2019"},
      {"sbquo", "\u201A"},
      {"ldquo", "\u201C"},
      {"rdquo", "\u201D"},
      {"bdquo", "\u201E"},
      {"hellip", "\u2026"},
      {"bull", "\u2022"},
      {"euro", "\u20AC"},
      {"trade", "\u2122"},
      {"dagger", "\u2020"},
      {"Dagger", "\u2021"},
      {"permil", "\u2030"},
      {"lsaquo", "\u2039"},
      {"rsaquo", "\u203A"},
      {"OElig", "\u0152"},
      {"oelig", "\u0153"},
      {"Scaron", "\u0160"},
      {"scaron", "\u0161"},
      {"Yuml", "\u0178"},
      {"fnof", "\u0192"},
      {"circ", "\u02C6"},
      {"tilde", "\u02DC"},
      {"ensp", " "},
      {"emsp", " "},
      {"thinsp", " "},
      {"zwnj", ""},
      {"zwj", ""},
      {"larr", "\u2190"},
      {"rarr", "\u2192"},
      {"uarr", "\u2191"},
      {"darr", "\u2193"},
      {"hearts", "\u2665"},
      {"spades", "\u2660"},
      {"clubs", "\u2663"},
      {"diams", "\u2666"},
      {"prime", "\u2032"},
      {"Prime", "\u2033"},
      {"infin", "\u221E"},
      {"le", "\u2264"},
      {"ge", "\u2265"},
      {"ne", "\u2260"},
      {"minus", "\u2212"},
    };
    for (String[] e : more) {
      ENTITIES.put(e[0], e[1]);
    }
  }

  private HtmlText() {}

  /** Visible text of an HTML document, block elements turned into line breaks. */
  static String toText(String html) {
    String s = COMMENT.matcher(html).replaceAll("");
    s = INVISIBLE.matcher(s).replaceAll(" ");
    // source whitespace is insignificant in HTML; layout comes only from the tags below
    s = WHITESPACE.matcher(s).replaceAll(" ");
    s = BLOCK_TAG.matcher(s).replaceAll("\n");
    s = CELL_TAG.matcher(s).replaceAll(" ");
    s = ANY_TAG.matcher(s).replaceAll("");
    return decodeEntities(s);
  }

  /** For text/enriched and stray markup: drop tags but keep the text's own line breaks. */
  static String stripTags(String text) {
    return decodeEntities(ANY_TAG.matcher(text).replaceAll(""));
  }

  static String decodeEntities(String s) {
    if (s.indexOf('&') < 0) {
      return s;
    }
    Matcher m = ENTITY.matcher(s);
    StringBuilder out = new StringBuilder(s.length());
    while (m.find()) {
      String replacement = entity(m.group(1));
      m.appendReplacement(
          out, Matcher.quoteReplacement(replacement == null ? m.group() : replacement));
    }
    m.appendTail(out);
    return out.toString();
  }

  private static String entity(String body) {
    if (body.charAt(0) == '#') {
      int cp;
      try {
        cp =
            body.length() > 1 && (body.charAt(1) == 'x' || body.charAt(1) == 'X')
                ? Integer.parseInt(body.substring(2), 16)
                : Integer.parseInt(body.substring(1));
      } catch (NumberFormatException e) {
        return null;
      }
      if (cp >= 0x80 && cp <= 0x9F) {
        // numeric references to C1 controls mean windows-1252 characters (HTML5 rule)
        return new String(new byte[] {(byte) cp}, WINDOWS_1252);
      }
      if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return "";
      }
      return new String(Character.toChars(cp));
    }
    String named = ENTITIES.get(body);
    if (named == null) {
      // spam writes &NBSP; and &Amp; too
      named = ENTITIES.get(body.toLowerCase(Locale.ROOT));
    }
    return named;
  }
}
