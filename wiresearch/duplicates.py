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

import sys
from array import array
from hashlib import blake2b
from operator import itemgetter
from typing import NamedTuple

MAX_DISTANCE = 7
BANDS = 4
BAND_BITS = 16
SHINGLE = 3


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
    # Bit b of every hash's byte c (signature bit 8 * (7 - c) + b: the hashes are
    # big-endian) is counted in C, all features at once: byte c of each hash, side by
    # side in one integer, ANDed with bit b of every byte, then a population count.
    # Integers of one byte a feature made the 64 counts 3.5 times as fast as integers of
    # whole hashes (16 against 57 us for a typical story's 127 shingles).
    hashes = b"".join(_hashes(features))
    lanes = int.from_bytes(b"\x01" * len(features), "big")
    half = len(features) / 2
    signature = 0
    for column in range(8):
        packed = int.from_bytes(hashes[column::8], "big")
        lowest = 8 * (7 - column)
        for bit in range(8):
            if (packed >> bit & lanes).bit_count() > half:
                signature |= 1 << (lowest + bit)
    return signature


# Each feature's hash starts from a copy of this empty state: a third faster than
# blake2b(feature, digest_size=8), which sets the state up for every feature (the same
# digests).
_EMPTY_HASH = blake2b(digest_size=8)


def _hashes(features) -> list[bytes]:
    """Each feature's 64-bit BLAKE2b digest."""
    copy = _EMPTY_HASH.copy
    digests = []
    for feature in features:
        state = copy()
        state.update(feature.encode("utf-8"))
        digests.append(state.digest())
    return digests


def distance(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def band_slots(signature: int) -> list[int]:
    """Where a signature is filed: for each band, the band's number above its key, so
    that every band's keys share one table."""
    mask = (1 << BAND_BITS) - 1
    return [band << BAND_BITS | (signature >> (BAND_BITS * band)) & mask
            for band in range(BANDS)]


# A band key itself, then the key with each one of its bits flipped.
_FLIPS = (0, *(1 << bit for bit in range(BAND_BITS)))


def probes(signature: int) -> list[int]:
    """The slots a copy of `signature` may be filed in: each of its own, and those one
    bit of the key away."""
    return [slot ^ flip for slot in band_slots(signature) for flip in _FLIPS]


def is_copy(a: int, b: int) -> bool:
    return distance(a, b) <= MAX_DISTANCE


class _LaneMasks(NamedTuple):
    """SWAR masks for counting bits in `lanes` 64-bit lanes of one integer at once. An
    AND with a mask longer than its other operand costs only the shorter one's length,
    so masks made for the most lanes asked for so far serve every length."""

    lanes: int
    m55: int
    m33: int
    m0f: int
    low_byte: int
    below_limit: int
    sign: int

    @classmethod
    def make(cls, lanes: int) -> _LaneMasks:
        def repeat(lane: int) -> int:
            return int.from_bytes(lane.to_bytes(8, "big") * lanes, "big")

        return cls(lanes, repeat(0x5555555555555555), repeat(0x3333333333333333),
                   repeat(0x0F0F0F0F0F0F0F0F), repeat(0xFF),
                   repeat(0x80 - (MAX_DISTANCE + 1)), repeat(0x80))


# Replaced whole when more lanes are needed, so a reader never sees a half-grown set.
_masks = _LaneMasks.make(64)
_NATIVE = sys.byteorder


def any_copy(packed: bytes, signature: int) -> bool:
    """Whether any of the signatures in `packed` (8 bytes each, in native byte order, as
    array("Q") holds them) is within MAX_DISTANCE bits of `signature`. One integer holds
    them all, and the bits that differ are counted for every lane at once by a SWAR
    population count, so the cost is a dozen operations in C instead of a Python loop
    over the candidates."""
    lanes = len(packed) // 8
    if not lanes:
        return False
    global _masks
    masks = _masks
    if lanes > masks.lanes:
        masks = _masks = _LaneMasks.make(max(lanes, 2 * masks.lanes))
    x = int.from_bytes(packed, _NATIVE) ^ int.from_bytes(
        signature.to_bytes(8, _NATIVE) * lanes, _NATIVE)
    # Bits set per 2, 4 and 8 bits of each lane; a shift carries a neighbouring lane's
    # low bits into the top of this one, and each mask removes them.
    x -= (x >> 1) & masks.m55
    x = (x & masks.m33) + ((x >> 2) & masks.m33)
    x = (x + (x >> 4)) & masks.m0f
    # The lane's 8 byte counts summed into its low byte (at most 64, so no carries).
    x += x >> 8
    x += x >> 16
    x += x >> 32
    counts = x & masks.low_byte
    # Bit 7 of a lane's low byte ends up set exactly when its count exceeds MAX_DISTANCE.
    far = (counts + masks.below_limit) & masks.sign
    return far.bit_count() < lanes


class SignatureIndex:
    """Signatures held in memory for finding copies, banded as the module docstring
    says. A story's candidates are the members of its probed band keys: at 200,000
    stories about two hundred, at a million about a thousand. Each band key keeps its
    members' signatures packed side by side, so that all the candidates are screened at
    once (any_copy), and only a story that has a copy walks them one by one. Memory:
    90 MB at a million stories (43 MB at 200,000, most of it the slots' own objects)."""

    def __init__(self):
        self._clusters: list[str] = []
        # Indexed by slot (a list: a dict lookup per probe cost twice as much): the
        # positions of its members, and their signatures packed side by side in native
        # byte order. Packed signatures are bytes, which hold their data in the object
        # itself: a probe is a memory access fewer than with a bytearray, and slots are
        # short to copy.
        slots = BANDS << BAND_BITS
        self._members: list[array | None] = [None] * slots
        self._packed: list[bytes] = [b""] * slots

    def __len__(self) -> int:
        return len(self._clusters)

    def add(self, signature: int, cluster: str) -> None:
        position = len(self._clusters)
        self._clusters.append(cluster)
        packed = signature.to_bytes(8, _NATIVE)
        for slot in band_slots(signature):
            members = self._members[slot]
            if members is None:
                self._members[slot] = members = array("I")
            members.append(position)
            self._packed[slot] += packed

    def closest(self, signature: int) -> str | None:
        """The cluster of the closest held copy of `signature` (ties to the smaller
        cluster id), or None when nothing is within MAX_DISTANCE bits."""
        probed = itemgetter(*probes(signature))
        if not any_copy(b"".join(probed(self._packed)), signature):
            return None
        best: tuple[int, str] | None = None
        seen: set[int] = set()
        for members, packed in zip(probed(self._members), probed(self._packed),
                                   strict=True):
            if members is None:
                continue
            for position, other in zip(members, memoryview(packed).cast("Q"), strict=True):
                gap = (signature ^ other).bit_count()
                if gap <= MAX_DISTANCE and position not in seen:
                    seen.add(position)
                    candidate = (gap, self._clusters[position])
                    if best is None or candidate < best:
                        best = candidate
        return best[1] if best else None
