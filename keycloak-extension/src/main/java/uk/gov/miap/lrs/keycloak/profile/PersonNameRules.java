package uk.gov.miap.lrs.keycloak.profile;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The companion app's name rules (guide §4.1, §4.2), decided the same way in Java: a port of
 * {@code lrs_keycloak/domain/generic_names.py} ({@code check_person_name}, without the
 * organisation's name, which Keycloak does not know when the account is created) and of
 * {@code lrs_keycloak/domain/usernames.py} ({@code base_username}). The word lists and limits are
 * not here: they come from the validator's configuration, written by sync from
 * {@code realm-config/generic-names.yaml}. A table of cases shared with pytest
 * ({@code src/test/resources/.../person-name-cases.json}) checks both sides decide alike.
 */
public final class PersonNameRules {

    /** One refusal: the Python field ({@code given_name}/{@code family_name}), code and values. */
    public record Refusal(String field, String code, boolean together, String name, String detail) {}

    private static final Map<Integer, String> SPECIAL_LETTERS = Map.ofEntries(
            Map.entry((int) 'ø', "o"), Map.entry((int) 'ß', "ss"), Map.entry((int) 'ẞ', "ss"),
            Map.entry((int) 'æ', "ae"), Map.entry((int) 'œ', "oe"), Map.entry((int) 'đ', "d"),
            Map.entry((int) 'ð', "d"), Map.entry((int) 'ł', "l"), Map.entry((int) 'þ', "th"),
            Map.entry((int) 'ı', "i"), Map.entry((int) 'ħ', "h"), Map.entry((int) 'ŧ', "t"),
            Map.entry((int) 'ŋ', "n"), Map.entry((int) 'ĸ', "k"));
    private static final String QUOTES = "'’‘ʼʻ`´\"“”′";
    private static final String SEPARATORS = " \t-‐‑‒–—―\u00a0";
    private static final String NAME_PUNCTUATION = " -‐‑‒–—'’‘ʼ.\u00a0";

    private final Set<String> genericWords;
    private final Set<String> departments;
    private final Set<String> roleNames;
    private final int maxLength;
    private final int maxAnalysedLength;

    public PersonNameRules(Collection<String> genericWords, Collection<String> departments,
            Collection<String> roleNames, int maxLength, int maxAnalysedLength) {
        this.genericWords = Set.copyOf(genericWords);
        this.departments = Set.copyOf(departments);
        this.roleNames = Set.copyOf(roleNames);
        this.maxLength = maxLength;
        this.maxAnalysedLength = maxAnalysedLength;
    }

    // ---- usernames.py ------------------------------------------------------------------------

    /** One name in lower-case ASCII letters with single hyphens between its words. */
    public static String foldPart(String name) {
        StringBuilder unquoted = new StringBuilder();
        name.toLowerCase(Locale.ROOT).codePoints().forEach(cp -> {
            if (QUOTES.indexOf(cp) < 0) {
                String special = SPECIAL_LETTERS.get(cp);
                if (special != null) {
                    unquoted.append(special);
                } else {
                    unquoted.appendCodePoint(cp);
                }
            }
        });
        String text = Normalizer.normalize(unquoted, Normalizer.Form.NFKD);
        StringBuilder out = new StringBuilder();
        text.codePoints().forEach(cp -> {
            if (cp >= 'a' && cp <= 'z') {
                out.appendCodePoint(cp);
            } else if (SEPARATORS.indexOf(cp) >= 0 || isSpace(cp)) {
                out.append('-');
            }
        });
        return strip(out.toString().replaceAll("-+", "-"), '-');
    }

    /** The {@code given.family} account name truncated to {@code maxUsername}; null when either
     * name folds to nothing (the name validator reports that). */
    public static String baseUsername(String given, String family, int maxUsername) {
        String g = foldPart(given);
        String f = foldPart(family);
        if (g.isEmpty() || f.isEmpty()) {
            return null;
        }
        int budget = maxUsername - 1;
        if (g.length() + f.length() > budget) {
            int half = budget / 2;
            if (g.length() <= half) {
                f = f.substring(0, budget - g.length());
            } else if (f.length() <= budget - half) {
                g = g.substring(0, budget - f.length());
            } else {
                g = g.substring(0, half);
                f = f.substring(0, budget - half);
            }
            g = stripEnd(g, '-');
            f = stripEnd(f, '-');
        }
        return g + "." + f;
    }

    /** Whether {@code username} is the base name, or the base name followed by 2, 3, … */
    public static boolean isGeneratedFrom(String username, String base) {
        if (username.equals(base)) {
            return true;
        }
        if (!username.startsWith(base) || username.length() == base.length()) {
            return false;
        }
        String digits = username.substring(base.length());
        return digits.matches("[1-9][0-9]*") && !digits.equals("1");
    }

    // ---- generic_names.py --------------------------------------------------------------------

    private static String squash(String text) {
        return foldPart(text).replace("-", "");
    }

    /** The words of a name, split at separators and camelCase, folded to lower-case ASCII. */
    public static List<String> nameWords(String name) {
        int[] text = Normalizer.normalize(name, Normalizer.Form.NFC).codePoints().toArray();
        List<String> tokens = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (int i = 0; i < text.length; i++) {
            int ch = text[i];
            if (!Character.isLetter(ch)) {
                if (isMark(ch) && current.length() > 0) {
                    current.appendCodePoint(ch);
                    continue;
                }
                if (current.length() > 0) {
                    tokens.add(current.toString());
                }
                current.setLength(0);
                continue;
            }
            int prev = i > 0 ? text[i - 1] : -1;
            int next = i + 1 < text.length ? text[i + 1] : -1;
            boolean camel = current.length() > 0
                    && ((isLower(prev) && isUpper(ch)) || (isUpper(prev) && isUpper(ch) && isLower(next)));
            if (camel) {
                tokens.add(current.toString());
                current.setLength(0);
            }
            current.appendCodePoint(ch);
        }
        if (current.length() > 0) {
            tokens.add(current.toString());
        }
        List<String> words = new ArrayList<>();
        for (String token : tokens) {
            String word = squash(token);
            if (!word.isEmpty()) {
                words.add(word);
            }
        }
        return words;
    }

    private static Set<String> phrases(List<String> words, Set<String> entries) {
        int longest = 0;
        for (String entry : entries) {
            longest = Math.max(longest, entry.split("-", -1).length);
        }
        Set<String> found = new HashSet<>();
        for (int i = 0; i < words.size(); i++) {
            for (int n = 1; n <= Math.min(longest, words.size() - i); n++) {
                String run = String.join("-", words.subList(i, i + n));
                if (entries.contains(run)) {
                    found.add(run);
                }
            }
        }
        return found;
    }

    /** {@code squashed} split entirely into vocabulary words, longest first; null if it cannot be. */
    private static List<String> segments(String squashed, Set<String> vocabulary) {
        List<String> split = new ArrayList<>();
        if (squashed.isEmpty()) {
            return split;
        }
        int longest = 0;
        for (String w : vocabulary) {
            longest = Math.max(longest, w.length());
        }
        int size = squashed.length();
        boolean[] complete = new boolean[size + 1];
        complete[size] = true;
        for (int start = size - 1; start >= 0; start--) {
            for (int end = Math.min(size, start + longest); end > start; end--) {
                if (complete[end] && vocabulary.contains(squashed.substring(start, end))) {
                    complete[start] = true;
                    break;
                }
            }
        }
        if (!complete[0]) {
            return null;
        }
        int start = 0;
        while (start < size) {
            for (int end = Math.min(size, start + longest); end > start; end--) {
                if (complete[end] && vocabulary.contains(squashed.substring(start, end))) {
                    split.add(squashed.substring(start, end));
                    start = end;
                    break;
                }
            }
        }
        return split;
    }

    private Set<String> vocabulary() {
        Set<String> all = new HashSet<>(genericWords);
        all.addAll(departments);
        return all;
    }

    private static Set<String> unhyphenated(Set<String> words) {
        Set<String> out = new HashSet<>();
        for (String w : words) {
            out.add(w.replace("-", ""));
        }
        return out;
    }

    private static String quoted(Collection<String> words) {
        List<String> parts = new ArrayList<>();
        for (String w : words) {
            parts.add("'" + w + "'");
        }
        return String.join(", ", parts);
    }

    private List<Refusal> checkField(String field, String value) {
        List<Refusal> found = new ArrayList<>();
        int length = value.codePointCount(0, value.length());
        if (length > maxAnalysedLength) {
            found.add(new Refusal(field, "too-long", false, "", ""));
            return found;
        }
        if (value.codePoints().allMatch(PersonNameRules::isSpace)) {
            found.add(new Refusal(field, "required", false, "", ""));
            return found;
        }
        String shown = length <= 40 ? value
                : value.substring(0, value.offsetByCodePoints(0, 37)) + "...";
        String name = "'" + shown + "'";
        if (length > maxLength) {
            found.add(new Refusal(field, "too-long", false, name, ""));
        }
        if (value.codePoints().anyMatch(PersonNameRules::isDigit)) {
            found.add(new Refusal(field, "contains-digits", false, name, ""));
        }
        if (value.indexOf('@') >= 0 || value.indexOf('＠') >= 0) {
            found.add(new Refusal(field, "mailbox-as-name", false, name, ""));
        }
        if (value.codePoints().noneMatch(Character::isLetter)) {
            found.add(new Refusal(field, "no-letters", false, name, ""));
            return found;
        }
        TreeSet<Integer> odd = new TreeSet<>();
        Normalizer.normalize(value, Normalizer.Form.NFC).codePoints().forEach(ch -> {
            if (!(Character.isLetter(ch) || isDigit(ch) || ch == '@' || ch == '＠'
                    || NAME_PUNCTUATION.indexOf(ch) >= 0 || isMark(ch))) {
                odd.add(ch);
            }
        });
        if (!odd.isEmpty()) {
            List<String> chars = new ArrayList<>();
            for (int ch : odd) {
                chars.add("'" + new String(Character.toChars(ch)) + "'");
            }
            found.add(new Refusal(field, "invalid-characters", false, name, String.join(" ", chars)));
        }
        List<String> words = nameWords(value);
        String squashed = String.join("", words);
        Set<String> vocabulary = vocabulary();
        List<String> split = segments(squashed, unhyphenated(vocabulary));
        Set<String> splitWords = split == null ? Set.of() : new HashSet<>(split);
        Set<String> phrases = phrases(words, vocabulary);
        TreeSet<String> generic = new TreeSet<>();
        TreeSet<String> department = new TreeSet<>();
        for (String w : genericWords) {
            if (phrases.contains(w) || splitWords.contains(w.replace("-", ""))) {
                generic.add(w);
            }
        }
        for (String w : departments) {
            if (phrases.contains(w) || splitWords.contains(w.replace("-", ""))) {
                department.add(w);
            }
        }
        if (!generic.isEmpty()) {
            found.add(new Refusal(field, "generic-name", false, name, quoted(generic)));
        }
        if (!department.isEmpty()) {
            found.add(new Refusal(field, "department-name", false, name, quoted(department)));
        }
        if (!squashed.isEmpty() && roleNames.contains(squashed)) {
            found.add(new Refusal(field, "role-name", false, name, ""));
        }
        return found;
    }

    /** Every reason the names are not one person's (empty if they are), as check_person_name. */
    public List<Refusal> check(String given, String family) {
        List<Refusal> found = new ArrayList<>(checkField("given_name", given));
        found.addAll(checkField("family_name", family));
        if (!found.isEmpty()) {
            return found;
        }
        List<String> whole = new ArrayList<>(nameWords(given));
        whole.addAll(nameWords(family));
        String joined = String.join("", whole);
        String both = "'" + given.strip() + " " + family.strip() + "'";
        Set<String> vocabulary = vocabulary();
        boolean across = phrases(whole, vocabulary).stream().anyMatch(w -> w.contains("-"));
        List<String> split = segments(joined, unhyphenated(vocabulary));
        if (across || (split != null && !split.isEmpty())) {
            found.add(new Refusal("given_name", "generic-name", true, both, ""));
        }
        if (roleNames.contains(joined)) {
            found.add(new Refusal("given_name", "role-name", true, both, ""));
        }
        return found;
    }

    // ---- Python's character classes ----------------------------------------------------------

    private static boolean isMark(int ch) {
        int type = Character.getType(ch);
        return type == Character.NON_SPACING_MARK || type == Character.ENCLOSING_MARK
                || type == Character.COMBINING_SPACING_MARK;
    }

    /** Python's {@code str.isdigit}: decimal digits and other digits such as superscripts. */
    private static boolean isDigit(int ch) {
        if (Character.isDigit(ch)) {
            return true;
        }
        int value = Character.getNumericValue(ch);
        return Character.getType(ch) == Character.OTHER_NUMBER && value >= 0 && value <= 9;
    }

    private static boolean isLower(int ch) {
        return ch >= 0 && Character.isLowerCase(ch);
    }

    private static boolean isUpper(int ch) {
        return ch >= 0 && Character.isUpperCase(ch);
    }

    /** Python's {@code str.isspace}. */
    private static boolean isSpace(int ch) {
        return Character.isWhitespace(ch) || Character.isSpaceChar(ch) || (ch >= 0x1c && ch <= 0x1f)
                || ch == 0x85;
    }

    private static String strip(String s, char c) {
        int start = 0;
        int end = s.length();
        while (start < end && s.charAt(start) == c) {
            start++;
        }
        while (end > start && s.charAt(end - 1) == c) {
            end--;
        }
        return s.substring(start, end);
    }

    private static String stripEnd(String s, char c) {
        int end = s.length();
        while (end > 0 && s.charAt(end - 1) == c) {
            end--;
        }
        return s.substring(0, end);
    }
}
