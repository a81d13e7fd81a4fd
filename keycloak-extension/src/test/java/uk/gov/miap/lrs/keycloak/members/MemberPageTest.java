package uk.gov.miap.lrs.keycloak.members;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MemberPageTest {

    @Test
    void defaultsToTheFirstHundred() {
        MemberPage page = MemberPage.of(null, null, "lrs-portal", null);
        assertEquals(0, page.first());
        assertEquals(MemberPage.DEFAULT_MAX, page.max());
        assertEquals(List.of(), page.attributes());
    }

    @Test
    void refusesANegativeFirst() {
        MemberPage.Refusal refusal = assertThrows(MemberPage.Refusal.class,
                () -> MemberPage.of(-1, 10, "lrs-portal", List.of()));
        assertEquals("first", refusal.field());
    }

    @Test
    void refusesAPageOutsideOneToTheLargest() {
        assertEquals("max", assertThrows(MemberPage.Refusal.class,
                () -> MemberPage.of(0, 0, "lrs-portal", List.of())).field());
        assertEquals("max", assertThrows(MemberPage.Refusal.class,
                () -> MemberPage.of(0, MemberPage.MAX_MAX + 1, "lrs-portal", List.of())).field());
        assertEquals(MemberPage.MAX_MAX, MemberPage.of(0, MemberPage.MAX_MAX, "c", List.of()).max());
    }

    @Test
    void requiresTheClient() {
        assertEquals("client", assertThrows(MemberPage.Refusal.class,
                () -> MemberPage.of(0, 10, " ", List.of())).field());
        assertEquals("client", assertThrows(MemberPage.Refusal.class,
                () -> MemberPage.of(0, 10, null, List.of())).field());
    }

    @Test
    void refusesBlankOrTooManyAttributes() {
        assertEquals("attribute", assertThrows(MemberPage.Refusal.class,
                () -> MemberPage.of(0, 10, "c", List.of("title", ""))).field());
        List<String> many = new ArrayList<>();
        for (int i = 0; i <= MemberPage.MAX_ATTRIBUTES; i++) {
            many.add("a" + i);
        }
        assertEquals("attribute", assertThrows(MemberPage.Refusal.class,
                () -> MemberPage.of(0, 10, "c", many)).field());
    }

    @Test
    void namesEachAttributeOnceInTheOrderAsked() {
        MemberPage page = MemberPage.of(0, 10, "c", List.of("b", "a", "b"));
        assertEquals(List.of("b", "a"), page.attributes());
    }

    @Test
    void showsOnlyAttributesTheUserProfileShowsToAdmins() {
        MemberPage page = MemberPage.of(0, 10, "c", List.of("title", "secret", "lrsLastLogon", "editable"));
        Map<String, Set<String>> managed = Map.of(
                "title", Set.of("admin", "user"),
                "secret", Set.of("user"),
                "editable", Set.of("admin"));
        assertEquals(List.of("title", "lrsLastLogon", "editable"), page.visibleAttributes(managed, true));
        assertEquals(List.of("title", "editable"), page.visibleAttributes(managed, false));
    }
}
