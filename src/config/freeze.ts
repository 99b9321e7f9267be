/** Deep-freezes config so nothing on the request path can mutate it (Maps are frozen by reference only). */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  if (value instanceof Map) {
    for (const v of value.values()) deepFreeze(v);
  } else {
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return Object.freeze(value);
}
