using ScanTools.Hosting;

namespace ScanTools.Tests.Hosting;

public sealed class DisplayTextTests
{
    [Theory]
    [InlineData("x\u001b[2Jy.txt", "x\\x1B[2Jy.txt")]          // CSI through ESC: clears the screen
    [InlineData("a\u009b31mb", "a\\x9B31mb")]                   // the one-character C1 CSI
    [InlineData("line\nforged", "line\\x0Aforged")]
    [InlineData("tab\there\r", "tab\\x09here\\x0D")]
    [InlineData("del\u007f", "del\\x7F")]
    [InlineData("gpj.\u202Eexe", "gpj.\\u202Eexe")]              // right-to-left override: shows as "exe.jpg"
    [InlineData("iso\u2066late\u2069", "iso\\u2066late\\u2069")]
    [InlineData("para\u2029graph", "para\\u2029graph")]
    public void ControlCharacters_AreWrittenAsEscapes(string name, string shown) =>
        Assert.Equal(shown, DisplayText.Escape(name));

    [Theory]
    [InlineData("/srv/share/Report 2026 (final).docx")]
    [InlineData(@"C:\Users\Ann\Ångström ✓ 日本.txt")]               // backslashes and other scripts stay as they are
    [InlineData("")]
    public void PlainText_IsTheSameString(string name) =>
        Assert.Same(name, DisplayText.Escape(name));

    [Fact]
    public void Null_StaysNull() => Assert.Null(DisplayText.Escape(null));
}
