package phd4j.chat;

import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;
import java.util.RandomAccess;

/** A Python tuple: an immutable list that prints as (a, b); dict.items() and (a, b) literals make them. */
final class Tuple extends AbstractList<Object> implements RandomAccess {
    private final Object[] items;

    Tuple(List<?> items) {
        this.items = items.toArray();
    }

    static Tuple of(Object... items) {
        return new Tuple(Arrays.asList(items));
    }

    @Override
    public Object get(int index) {
        return items[index];
    }

    @Override
    public int size() {
        return items.length;
    }
}
