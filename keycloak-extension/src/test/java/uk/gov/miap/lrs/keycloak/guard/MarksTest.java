package uk.gov.miap.lrs.keycloak.guard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class MarksTest {

    @Test
    void organisationsAreCheckedInIdOrderSoTwoRequestsNeverLockInOppositeOrders() {
        Marks marks = new Marks();
        marks.mark("b-group", "sue", "demote");
        marks.mark("a-group", "sue", "demote");
        assertEquals(List.of("a-group", "b-group"), List.copyOf(marks.organisations().keySet()));
    }

    @Test
    void theFirstChangeToAnOrganisationIsTheOneNamed() {
        // The body-less DELETE of client role mappings, then a group leave, in one request.
        Marks marks = new Marks();
        assertTrue(marks.mark("g", "sue", "demote"));
        assertFalse(marks.mark("g", "sam", "remove"));
        assertEquals(new Marks.Mark("sue", "demote"), marks.organisations().get("g"));
    }

    @Test
    void onlyTheDomainRulesActionsCanBeMarked() {
        assertThrows(IllegalArgumentException.class, () -> new Marks().mark("g", "sue", "disable"));
    }

    @Test
    void aPasswordSetIsAMark() {
        Marks marks = new Marks();
        assertTrue(marks.isEmpty());
        marks.passwordSet();
        assertFalse(marks.isEmpty());
        assertTrue(marks.isPasswordSet());
    }

    @Test
    void aPasswordCountsAsSetByTheRequestOnlyWhenCreatedSinceTheRequestBegan() {
        assertTrue(Marks.setByThisRequest(10_000L, 10_000L));
        assertTrue(Marks.setByThisRequest(10_250L, 10_000L));
        assertFalse(Marks.setByThisRequest(9_999L, 10_000L));   // e.g. the user's own, a moment before
        assertFalse(Marks.setByThisRequest(null, 10_000L));
    }
}
