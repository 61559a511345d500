"""Near-duplicate detection: a 64-bit SimHash of a story's word 3-shingles.

Refiled, updated or lightly edited copies of a story change a few shingles, which flips
few bits; different stories differ in about half of the 64 bits. Two stories whose
signatures differ in at most MAX_DISTANCE bits are copies: on Reuters-21578, pairs up to
7 bits apart are refilings, repeats and corrections, and unrelated stories start to
appear from 10 bits. Candidates are found by multi-index hashing: split the signature
into BANDS parts of 16 bits; two signatures at most 7 bits apart have, by the pigeonhole
principle, a part that differs in at most one bit, so looking up each part and its 16
one-bit neighbours finds every copy.
"""

from __future__ import annotations

from array import array
from hashlib import blake2b

MAX_DISTANCE = 7
BANDS = 4
BAND_BITS = 16
SHINGLE = 3
_LOWEST_BIT = (1).to_bytes(8, "big")


def simhash(words: list[str]) -> int:
    """The signature of a story from its folded words (see analysis.words): bit i is set
    when more than half of the distinct shingles' 64-bit hashes set bit i."""
    if len(words) >= SHINGLE:
        # Shorter slices end the zip where the last whole shingle ends.
        features = set(map(" ".join, zip(*(words[i:] for i in range(SHINGLE)),
                                         strict=False)))
    else:
        features = set(words)
    if not features:
        return 0
    # Every hash side by side in one integer, 64 bits each: the features that set bit i
    # are counted in C, by one AND with bit i of every lane and a population count.
    packed = int.from_bytes(b"".join([blake2b(feature.encode("utf-8"), digest_size=8).digest()
                                      for feature in features]), "big")
    lanes = int.from_bytes(_LOWEST_BIT * len(features), "big")
    half = len(features) / 2
    signature = 0
    for bit in range(64):
        if (packed & (lanes << bit)).bit_count() > half:
            signature |= 1 << bit
    return signature


def distance(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def bands(signature: int) -> tuple[int, ...]:
    mask = (1 << BAND_BITS) - 1
    return tuple((signature >> (BAND_BITS * i)) & mask for i in range(BANDS))


# A band key itself, then the key with each one of its bits flipped.
_FLIPS = (0, *(1 << bit for bit in range(BAND_BITS)))


def probes(signature: int) -> tuple[list[int], ...]:
    """For each band, the keys a copy's band may have: its own and those one bit away."""
    return tuple([key ^ flip for flip in _FLIPS] for key in bands(signature))


def is_copy(a: int, b: int) -> bool:
    return distance(a, b) <= MAX_DISTANCE


class SignatureIndex:
    """Signatures held in memory for finding copies, banded as the module docstring
    says. A story's candidates are the members of its probed band keys; at a million
    stories that is about a thousand distance checks, where a query per story (the
    catalog's tables) costs a millisecond each. Compact: band members are positions in
    arrays of 32-bit integers, about 40 bytes per story besides its cluster's name."""

    def __init__(self):
        self._signatures = array("Q")
        self._clusters: list[str] = []
        self._bands: list[dict[int, array]] = [{} for _ in range(BANDS)]

    def __len__(self) -> int:
        return len(self._clusters)

    def add(self, signature: int, cluster: str) -> None:
        position = len(self._clusters)
        self._signatures.append(signature)
        self._clusters.append(cluster)
        for table, key in zip(self._bands, bands(signature), strict=True):
            members = table.get(key)
            if members is None:
                table[key] = members = array("I")
            members.append(position)

    def closest(self, signature: int) -> str | None:
        """The cluster of the closest held copy of `signature` (ties to the smaller
        cluster id), or None when nothing is within MAX_DISTANCE bits."""
        signatures = self._signatures
        best: tuple[int, str] | None = None
        seen: set[int] = set()
        for table, keys in zip(self._bands, probes(signature), strict=True):
            # Most probed keys hold nothing: look them up without a Python-level loop.
            for members in filter(None, map(table.get, keys)):
                for position in members:
                    gap = (signature ^ signatures[position]).bit_count()
                    if gap <= MAX_DISTANCE and position not in seen:
                        seen.add(position)
                        candidate = (gap, self._clusters[position])
                        if best is None or candidate < best:
                            best = candidate
        return best[1] if best else None
