package phd4j.chat;

import java.util.List;

/**
 * What Jinja2's map, select, reject, selectattr, rejectattr, unique and batch return: a Python
 * generator, so always true (templates write {@code |list} before testing it), without a length,
 * not JSON-serializable, and empty when iterated a second time.
 */
final class Generator {
    private final String function;
    private List<Object> items;

    Generator(String function, List<Object> items) {
        this.function = function;
        this.items = items;
    }

    /** The items not yet consumed; afterwards the generator is exhausted. */
    List<Object> drain() {
        List<Object> rest = items;
        items = List.of();
        return rest;
    }

    @Override
    public String toString() {
        return "<generator object " + function + ">";
    }
}
