namespace ScanTools.Matching;

/// <summary>
/// Which characters and pairs of adjacent characters a text holds, as a 256-bit Bloom filter, with ASCII
/// letters folded to lower case. If text A contains text B, A's sketch covers B's; so a sketch that does not
/// cover another proves the text absent for about 2 ns, against about 10 ns for a substring search (measured
/// in bench/, walk_ignore_vs_plain). A sketch that covers proves nothing: the caller then searches.
/// </summary>
internal readonly struct TextSketch
{
    private readonly ulong _a, _b, _c, _d;

    private TextSketch(ulong a, ulong b, ulong c, ulong d, bool nonAscii)
    {
        _a = a;
        _b = b;
        _c = c;
        _d = d;
        HasNonAscii = nonAscii;
    }

    /// <summary>
    /// The text has a character outside ASCII. Only ASCII letters are folded here, so under case-insensitive
    /// matching such a text's sketch proves nothing (.NET folds the Kelvin sign to k, for one).
    /// </summary>
    public bool HasNonAscii { get; }

    /// <summary>The sketch of <paramref name="text"/>.</summary>
    public static TextSketch Of(ReadOnlySpan<char> text)
    {
        ulong a = 0, b = 0, c = 0, d = 0;
        uint previous = 0;
        bool nonAscii = false;
        for (int i = 0; i < text.Length; i++)
        {
            uint ch = text[i];
            if (ch - 'A' <= 'Z' - 'A')
            {
                ch |= 0x20;
            }
            nonAscii |= ch > 0x7F;
            Set(ch * 0x9E3779B1u, ref a, ref b, ref c, ref d);
            if (i > 0)
            {
                Set(((previous << 16) | ch) * 0x85EBCA77u, ref a, ref b, ref c, ref d);
            }
            previous = ch;
        }
        return new TextSketch(a, b, c, d, nonAscii);
    }

    private static void Set(uint hash, ref ulong a, ref ulong b, ref ulong c, ref ulong d)
    {
        uint bit = hash >> 24; // the top 8 bits of a multiplicative hash: one of 256
        ulong mask = 1UL << (int)(bit & 63);
        switch (bit >> 6)
        {
            case 0: a |= mask; break;
            case 1: b |= mask; break;
            case 2: c |= mask; break;
            default: d |= mask; break;
        }
    }

    /// <summary>False when a text with this sketch cannot contain a text with <paramref name="part"/>'s.</summary>
    public bool Covers(in TextSketch part) =>
        ((part._a & ~_a) | (part._b & ~_b) | (part._c & ~_c) | (part._d & ~_d)) == 0;
}
