from array import array

from hypothesis import given, settings
from hypothesis import strategies as st

from wiresearch import analysis
from wiresearch.duplicates import (
    MAX_DISTANCE,
    SignatureIndex,
    any_copy,
    band_slots,
    distance,
    is_copy,
    probes,
    simhash,
)

STORY = ("The Bank of England said it had provided the money market with assistance of "
         "215 mln stg in the afternoon session, bringing its total help so far today to "
         "415 mln stg after it forecast a shortage of around 500 mln stg. The central bank "
         "bought bills in band one at 10-7/8 pct and in band two at 10-13/16 pct. "
         "Earlier, the bank had said it expected the shortage to be smaller, but revised "
         "its estimate after taking account of exchequer transactions and a rise in the "
         "note circulation. Dealers said conditions in the market were tight throughout the "
         "day, with overnight money trading between 11 and 11-1/4 pct before easing late in "
         "the session as the bank's help came through. Treasury bill rates were little "
         "changed, and traders said they expected the authorities to keep a firm grip on "
         "short-term rates ahead of next week's figures on money supply and bank lending, "
         "which are due on Tuesday and are likely to show continued strong growth.")


def signature(text):
    return simhash(analysis.words(text))


def test_light_edits_keep_the_signature_close():
    refiled = STORY.replace("215 mln", "216 mln")
    assert is_copy(signature(STORY), signature(refiled))
    assert is_copy(signature(STORY), signature(STORY + " Reuter"))


def test_different_stories_are_far_apart():
    other = ("Showers continued throughout the week in the Bahia cocoa zone, alleviating "
             "the drought since early January and improving prospects for the temporao.")
    assert distance(signature(STORY), signature(other)) > 10


def test_copies_are_found_by_probing_their_bands():
    first, second = signature(STORY), signature(STORY.replace("500", "550"))
    assert is_copy(first, second)
    assert set(band_slots(second)) & set(probes(first))


def test_signature_is_stable_across_processes():
    # blake2b, not Python's randomized hash(): the same text gives the same number.
    assert signature("cocoa prices rose in brazil") == signature("cocoa prices rose in brazil")
    assert signature("") == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=40),
       st.integers(0, 2**64 - 1), st.data())
def test_the_signature_index_finds_what_comparing_every_pair_finds(held, probe, data):
    # Near copies of held signatures, so the interesting distances occur.
    flips = data.draw(st.lists(st.integers(0, 63), max_size=9))
    near = held[0]
    for bit in flips:
        near ^= 1 << bit
    index = SignatureIndex()
    for position, signature in enumerate(held):
        index.add(signature, f"c{position:02d}")
    for wanted in (probe, near):
        close = sorted((distance(wanted, signature), f"c{position:02d}")
                       for position, signature in enumerate(held)
                       if distance(wanted, signature) <= MAX_DISTANCE)
        assert index.closest(wanted) == (close[0][1] if close else None)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**64 - 1),
       st.lists(st.lists(st.integers(0, 63), max_size=12), max_size=150),
       st.lists(st.integers(0, 2**64 - 1), max_size=3))
def test_screening_many_signatures_at_once_agrees_with_each_distance(probe, flip_sets,
                                                                      others):
    # Signatures a few bits from the probe (the distances around MAX_DISTANCE that
    # matter) among unrelated ones, more of them than the masks first hold.
    held = [probe ^ sum(1 << bit for bit in set(flips)) for flips in flip_sets] + others
    packed = array("Q", held).tobytes()
    assert any_copy(packed, probe) == any(is_copy(probe, s) for s in held)


@given(st.lists(st.sampled_from(["oil", "price", "rose", "opec", "said", "x"]), max_size=60))
def test_a_signature_bit_is_the_majority_of_the_shingle_hash_bits(words):
    from hashlib import blake2b

    if len(words) >= 3:
        shingles = {" ".join(words[i:i + 3]) for i in range(len(words) - 2)}
    else:
        shingles = set(words)
    hashes = [int.from_bytes(blake2b(s.encode(), digest_size=8).digest(), "big")
              for s in shingles]
    expected = sum(1 << bit for bit in range(64)
                   if sum(h >> bit & 1 for h in hashes) * 2 > len(hashes))
    assert simhash(words) == expected
