using ScanTools.Storage;

namespace ScanTools.Tests.Storage;

/// <summary>The table view's words for a size change.</summary>
public sealed class ScanChangeTextTests
{
    [Theory]
    [InlineData(3, 12, "Length 3 B -> 12 B")]
    [InlineData(5000, 5012, "Length 4.9 KB (+12 B)")]
    [InlineData(5012, 5000, "Length 4.9 KB (-12 B)")]
    [InlineData(1_073_741_824, 1_073_743_824, "Length 1.0 GB (+2,000 B)")]
    [InlineData(1_023, 1_024, "Length 1023 B -> 1.0 KB")]
    public void ASizeChange_ShowsBothSizes_OrTheExactDifferenceWhenTheyRoundAlike(long before, long after, string expected)
    {
        Assert.Equal(expected, ScanChange.LengthChange(before, after));
    }
}
