package phd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopStringFilterTest {
    @Test
    void holdsBackAPossibleStopAndCutsBeforeIt() {
        StopStringFilter f = new StopStringFilter(List.of("END"));
        assertEquals("hello ", f.push("hello "));
        assertEquals("", f.push("E"));
        assertEquals("", f.push("N"));
        assertFalse(f.stopped());
        assertEquals("", f.push("D and more"));
        assertTrue(f.stopped());
    }

    @Test
    void releasesAFalseAlarm() {
        StopStringFilter f = new StopStringFilter(List.of("END"));
        assertEquals("a", f.push("aEN"));
        assertEquals("ENx", f.push("x"));
        assertEquals("", f.finish(""));
        assertFalse(f.stopped());
    }

    @Test
    void finishReleasesHeldText() {
        StopStringFilter f = new StopStringFilter(List.of("###"));
        assertEquals("ab", f.push("ab#"));
        assertEquals("#c", f.finish("c"));
    }

    @Test
    void stopInsideOnePieceKeepsTheTextBeforeIt() {
        StopStringFilter f = new StopStringFilter(List.of("\n\n", "User:"));
        assertEquals("answer.", f.push("answer.User: hi"));
        assertTrue(f.stopped());
    }

    @Test
    void noStopsPassesThrough() {
        StopStringFilter f = new StopStringFilter(List.of());
        assertEquals("anything", f.push("anything"));
    }
}
