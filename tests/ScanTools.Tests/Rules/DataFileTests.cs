using ScanTools.Rules;

namespace ScanTools.Tests.Rules;

/// <summary>The data-file reader: PowerShell's literal language only, never anything that would execute.</summary>
public sealed class DataFileTests
{
    [Fact]
    public void Reads_nested_tables_arrays_strings_numbers_and_constants()
    {
        const string text = """
            # a comment
            @{
                Name = 'it''s'   # quote doubled
                Quoted = "tab`there"
                Here = @'
            line one
            line "two"
            '@
                Numbers = 1, -2, 0x10, 1.5, 2KB, 3MB
                Flags = @($true, $false, $null)
                'odd key' = @{ Inner = @( @{ A = 1 }; @{ A = 2 } ) }
                <# block
                   comment #>
                Empty = @()
            }
            """;
        Dictionary<string, object?> d = DataFile.Parse(text);
        Assert.Equal("it's", d["name"]); // keys ignore case, as PowerShell's hashtables do
        Assert.Equal("tab\there", d["Quoted"]);
        Assert.Equal("line one\nline \"two\"", ((string)d["Here"]!).Replace("\r\n", "\n", StringComparison.Ordinal));
        Assert.Equal(new object?[] { 1L, -2L, 16L, 1.5, 2048L, 3L << 20 }, (List<object?>)d["Numbers"]!);
        Assert.Equal(new object?[] { true, false, null }, (List<object?>)d["Flags"]!);
        var inner = (List<object?>)((Dictionary<string, object?>)d["odd key"]!)["Inner"]!;
        Assert.Equal(new[] { 1L, 2L }, inner.Select(i => (long)((Dictionary<string, object?>)i!)["A"]!));
        Assert.Empty((List<object?>)d["Empty"]!);
    }

    [Theory]
    [InlineData("@{ A = $env:HOME }", "variable")]
    [InlineData("@{ A = (Get-Date) }", "code, not data")]
    [InlineData("@{ A = Get-Date }", "code, not data")]
    [InlineData("@{ A = \"x $(whoami)\" }", "expand")]
    [InlineData("@{ A = \"x $name\" }", "expand")]
    [InlineData("@{ A = [int]5 }", "code, not data")]
    [InlineData("@{ A = & 'x' }", "code, not data")]
    [InlineData("@{ A = 1; A = 2 }", "twice")]
    [InlineData("@{ A = 'open }", "not closed")]
    [InlineData("@{ A = 1 } Remove-Item x", "nothing may follow")]
    [InlineData("Remove-Item x", "one hashtable")]
    [InlineData("@{ A = 1XB }", "not a number")]
    public void Refuses_what_is_not_data_with_a_place(string text, string expected)
    {
        var ex = Assert.Throws<FormatException>(() => DataFile.Parse(text, "rules.psd1"));
        Assert.Contains(expected, ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.StartsWith("rules.psd1:1:", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Error_names_the_line_and_column()
    {
        var ex = Assert.Throws<FormatException>(() => DataFile.Parse("@{\n  A = 1\n  B = $x\n}", "f.psd1"));
        Assert.StartsWith("f.psd1:3:7:", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deep_nesting_is_refused_not_a_stack_overflow()
    {
        string text = "@{ A = " + string.Concat(Enumerable.Repeat("@(", 10_000)) + string.Concat(Enumerable.Repeat(")", 10_000)) + " }";
        var ex = Assert.Throws<FormatException>(() => DataFile.Parse(text));
        Assert.Contains("nested", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_builtin_rules_file_parses_into_rules()
    {
        Assert.NotEmpty(RuleSet.Builtin.Rules);
        Assert.Equal(RuleSet.Builtin.Rules.Count, RuleSet.Builtin.Rules.Select(r => r.Id).Distinct().Count());
    }
}
