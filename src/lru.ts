/**
 * A map that keeps its keys in order of use, least recently used first, for the process's
 * bounded caches (token counts, parsed histories, the memory store's evictable keys, Slack
 * installations, the help center's question vectors).
 *
 * Not a bare `Map` in insertion order, moved by delete + set and emptied from the front: V8 leaves
 * a deleted entry's slot in the table until the table is rebuilt, and every iteration from the
 * front steps over all of them. A full 20,000-entry cache dropping its oldest entry per new one
 * (a fresh `keys().next()` each time) cost 7-35 µs per drop on a 2-core VM, against under 1 µs
 * here: the order is a doubly linked list beside the map, so a use moves a node (the map is not
 * touched) and the oldest is the list's head.
 */
interface Node<K, V> {
  key: K;
  value: V;
  /** Towards the least recently used. */
  older: Node<K, V> | null;
  /** Towards the most recently used. */
  newer: Node<K, V> | null;
}

export class Lru<K, V> {
  private readonly nodes = new Map<K, Node<K, V>>();
  /**
   * @param maxEntries Entries kept at most: adding one more drops the least recently used. A cache
   * bounded otherwise (characters) drops entries itself with `shift`.
   */
  constructor(private readonly maxEntries = Number.POSITIVE_INFINITY) {}

  /** Least recently used. */
  private head: Node<K, V> | null = null;
  /** Most recently used. */
  private tail: Node<K, V> | null = null;

  get size(): number {
    return this.nodes.size;
  }

  has(key: K): boolean {
    return this.nodes.has(key);
  }

  /** The value, now the most recently used. */
  get(key: K): V | undefined {
    const node = this.nodes.get(key);
    if (!node) return undefined;
    this.toNewest(node);
    return node.value;
  }

  /** The value, its place in the order unchanged. */
  peek(key: K): V | undefined {
    return this.nodes.get(key)?.value;
  }

  /** Add or replace; either way the key becomes the most recently used. */
  set(key: K, value: V): void {
    const node = this.nodes.get(key);
    if (node) {
      node.value = value;
      this.toNewest(node);
      return;
    }
    const added: Node<K, V> = { key, value, older: this.tail, newer: null };
    if (this.tail) this.tail.newer = added;
    else this.head = added;
    this.tail = added;
    this.nodes.set(key, added);
    if (this.nodes.size > this.maxEntries) this.shift();
  }

  delete(key: K): boolean {
    const node = this.nodes.get(key);
    if (!node) return false;
    this.unlink(node);
    this.nodes.delete(key);
    return true;
  }

  clear(): void {
    this.nodes.clear();
    this.head = null;
    this.tail = null;
  }

  /** The least recently used entry, left in place. */
  oldest(): { key: K; value: V } | undefined {
    const head = this.head;
    return head ? { key: head.key, value: head.value } : undefined;
  }

  /** Remove the least recently used entry and return it. */
  shift(): { key: K; value: V } | undefined {
    const head = this.head;
    if (!head) return undefined;
    this.unlink(head);
    this.nodes.delete(head.key);
    return { key: head.key, value: head.value };
  }

  /** Entries, least recently used first (deleting the current one while iterating is safe). */
  *entries(): IterableIterator<[K, V]> {
    for (let node = this.head; node; ) {
      const next = node.newer;
      yield [node.key, node.value];
      node = next;
    }
  }

  private toNewest(node: Node<K, V>): void {
    if (node === this.tail) return;
    this.unlink(node);
    node.older = this.tail;
    node.newer = null;
    if (this.tail) this.tail.newer = node;
    else this.head = node;
    this.tail = node;
  }

  private unlink(node: Node<K, V>): void {
    if (node.older) node.older.newer = node.newer;
    else this.head = node.newer;
    if (node.newer) node.newer.older = node.older;
    else this.tail = node.older;
    node.older = null;
    node.newer = null;
  }
}
