"""Reference for PackingTest: the pack assignment of TRL's best-fit decreasing (trl.data_utils._pack_bfd),
re-written here from its published algorithm with the same data structures: a max segment tree over free
space values (the full capacity always present, meaning a new pack), a FIFO of packs per free-space value,
lengths sorted descending by a stable sort, packs listed in the order they were opened.

stdin: {"capacity": int, "lengths": [int, ...]} (each length at most capacity)
stdout: [[index, ...], ...], the packs
"""
import json
import sys
from collections import defaultdict, deque


class SegmentTree:
    def __init__(self, maxval):
        self.maxval = maxval
        self.size = 1 << (maxval - 1).bit_length()
        self.tree = [0] * (2 * self.size)

    def _set(self, val, to):
        i = self.size + val - 1
        self.tree[i] = to
        while i > 1:
            i >>= 1
            self.tree[i] = max(self.tree[2 * i], self.tree[2 * i + 1])

    def add(self, val):
        self._set(val, val)

    def remove(self, val):
        self._set(val, 0)

    def search(self, val):
        """The smallest value present that is >= val."""
        i = 1
        while i < self.size:
            i = 2 * i if self.tree[2 * i] >= val else 2 * i + 1
        return self.tree[i]


def pack(lengths, capacity):
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])  # sorted() is stable
    tree = SegmentTree(capacity)
    tree.add(capacity)
    by_space = defaultdict(deque)
    packs = []
    for i in order:
        n = lengths[i]
        space = tree.search(n)
        if space < capacity:
            p = by_space[space].popleft()
        else:
            p = {"ids": [], "length": 0}
            packs.append(p)
        p["ids"].append(i)
        p["length"] += n
        if space < capacity and not by_space[space]:
            tree.remove(space)
        space -= n
        by_space[space].append(p)
        if space > 0:
            tree.add(space)
    return [p["ids"] for p in packs]


if __name__ == "__main__":
    case = json.load(sys.stdin)
    json.dump(pack(case["lengths"], case["capacity"]), sys.stdout)
