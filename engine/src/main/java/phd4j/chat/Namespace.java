package phd4j.chat;

import java.util.LinkedHashMap;

/** {@code namespace(...)}: the one object a template may change from inside a loop. */
final class Namespace extends LinkedHashMap<Object, Object> {}
