using FsCheck;
using FsCheck.Fluent;
using ScanTools.Matching;


namespace ScanTools.Tests.Matching;

/// <summary>
/// The plain-text check before an ignore rule's regular expression may only refuse paths the library would
/// refuse too: checked against the library itself on generated rules and paths.
/// </summary>
public sealed class IgnorePatternTextTests
{
    [Theory]
    [InlineData("*.log", ".log")]
    [InlineData("!keep.txt", "keep.txt")]
    [InlineData("**/packages/*", "packages")]
    [InlineData("[Dd]ebug/", "ebug")]
    [InlineData("bin[0-9]/", "bin")]
    [InlineData("x[]ab]yz", "yz")]
    [InlineData("x[[:alpha:]]yz", "yz")]
    [InlineData("x[\\]]yz", "yz")]
    [InlineData("Generated\\ Files/", "Generated")]
    [InlineData("docs/**/secret.md", "secret.md")]
    [InlineData("?*", "")]
    [InlineData("weird!x*", "weird")]
    [InlineData("!we!rdest", "rdest")]
    public void RequiredText_IsTheLongestPlainRun(string rule, string expected)
    {
        IgnorePattern pattern = IgnorePattern.Parse(rule, ignoreCase: false)!;
        Assert.Equal(expected, pattern.RequiredText);
    }

    [Fact]
    public void RequiredText_UnderCaseFolding_IsAsciiOnly()
    {
        Assert.Equal("", IgnorePattern.Parse("*.\u00e9t\u00e9", ignoreCase: true)!.RequiredText);
        Assert.Equal(".\u00e9t\u00e9", IgnorePattern.Parse("*.\u00e9t\u00e9", ignoreCase: false)!.RequiredText);
        Assert.Equal("kube", IgnorePattern.Parse("kube*", ignoreCase: true)!.RequiredText);
    }

    [Fact]
    public void TheSketch_OfAText_CoversThatOfEveryPartOfIt_AndRefusesMostOthers()
    {
        Prop.ForAll(Arb.From(Paths), Arb.From(Gen.Choose(0, 1_000)), (text, seed) =>
        {
            var random = new Random(seed);
            int start = random.Next(text.Length);
            string part = text.Substring(start, random.Next(text.Length - start + 1));
            return TextSketch.Of(text).Covers(TextSketch.Of(part)) && TextSketch.Of(text.ToUpperInvariant()).Covers(TextSketch.Of(part));
        }).QuickCheckThrowOnFailure();
        TextSketch path = TextSketch.Of("src/ScanTools.Engine/Matching/IgnoreRules.cs");
        string[] absent = { ".suo", ".user", "[Dd]ebug", "node_modules", ".pyc", "packages", "coverage", ".nupkg", "bin", "obj" };
        Assert.True(absent.Count(a => !path.Covers(TextSketch.Of(a))) >= 8, "the sketch should refuse most texts the path lacks");
    }

    [Fact]
    public void APathWithNonAsciiLetters_UnderCaseFolding_IsLeftToTheLibrary()
    {
        // The Kelvin sign folds to k in .NET's regular expressions; an ordinal check would refuse it.
        IgnorePattern pattern = IgnorePattern.Parse("kube*", ignoreCase: true)!;
        Assert.Equal(pattern.LibraryMatches("\u212Aube.yaml", false), pattern.IsMatch("\u212Aube.yaml", false));
        Assert.True(pattern.IsMatch("KUBE.yaml", false));
        Assert.False(pattern.IsMatch("cube.yaml", false));
    }

    private static readonly string[] RuleParts = { "a", "b", "A", "k", "\u212A", ".", "*", "**", "?", "/", "\\", "\\ ", "[ab]", "[!a]", "[^b]", "[!!]", "[]a]", "[[:alpha:]]", "[\\]]", "[a-c]", "[", "]", " ", "!", "^", "\\!", "#", "x.y" };
    private static readonly string[] NameParts = { "a", "b", "A", "B", "k", "K", "\u212A", ".", " ", "!", "^", "[", "x.y", "ab" };

    private static readonly Gen<string> Rules =
        Gen.Choose(1, 6).SelectMany(n => Gen.ArrayOf(Gen.Elements(RuleParts), n)).Select(parts => string.Concat(parts));

    private static readonly Gen<string> Paths =
        Gen.Choose(1, 3).SelectMany(n => Gen.ArrayOf(
            Gen.Choose(1, 4).SelectMany(m => Gen.ArrayOf(Gen.Elements(NameParts), m)).Select(p => string.Concat(p)), n))
        .Select(components => string.Join('/', components));

    [Fact]
    public void TheTextCheck_NeverRefusesAPathTheLibraryMatches()
    {
        Gen<(string Rule, string Path, bool IgnoreCase, bool IsDirectory, string Prefix)> cases =
            from rule in Rules
            from path in Paths
            from ignoreCase in Gen.Elements(false, true)
            from isDirectory in Gen.Elements(false, true)
            from prefix in Gen.Elements("", "x/", "K\u212A/")
            select (rule, path, ignoreCase, isDirectory, prefix);
        Prop.ForAll(Arb.From(cases), c =>
        {
            IgnorePattern? pattern;
            try
            {
                pattern = IgnorePattern.Parse(c.Rule, c.IgnoreCase);
            }
            catch (ArgumentException)
            {
                return true; // malformed rules are refused, covered elsewhere
            }
            if (pattern is null)
            {
                return true;
            }
            // As the chain checks a rule file's part of the path: with the sketch of the path from the scan root.
            bool refused = !pattern.MayMatch(c.Path, TextSketch.Of(c.Prefix + c.Path));
            return !refused || !pattern.LibraryMatches(c.Path, c.IsDirectory);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(10_000));
    }
}
