using System.Xml.Linq;
using ScanTools.HelpBuilder;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Hosting;

/// <summary>The help builder: platyPS pages in, what Get-Help reads out.</summary>
public sealed class HelpBuilderTests
{
    private const string Page = """
        ---
        external help file: X.dll-Help.xml
        schema: 2.0.0
        ---

        # Get-Thing

        ## SYNOPSIS
        Gets `things` from a catalog of *.log files, as -Name '*.log' finds them.

        ## SYNTAX

        ### ByName (Default)
        ```
        Get-Thing [-Name] <String[]> [[-Count] <Int32>] [-Force] -Mode <ThingMode> [-Database <String>]
         [<CommonParameters>]
        ```

        ## DESCRIPTION
        First paragraph
        wrapped in the source.

        - one item
        - two items

        ## EXAMPLES

        ### Example 1: The simplest call
        ```powershell
        PS> Get-Thing -Name a
        a
        ```

        It returns a.

        ### Example 2: Another
        ```powershell
        Get-Thing b
        ```

        ## PARAMETERS

        ### -Name
        The names. See [about_Wildcards](https://learn.microsoft.com/wildcards).

        ```yaml
        Type: System.String[]
        Parameter Sets: (All)
        Aliases: N, Names

        Required: True
        Position: 0
        Default value: None
        Accept pipeline input: True (ByValue, ByPropertyName)
        Accept wildcard characters: True
        ```

        ### -Count
        How many.

        ```yaml
        Type: System.Int32
        Required: False
        Position: 1
        Default value: 10
        Accept pipeline input: False
        Accept wildcard characters: False
        ```

        ### -Force
        Do it anyway.

        ```yaml
        Type: SwitchParameter
        Required: False
        Position: Named
        ```

        ### -Mode
        Which mode.

        ```yaml
        Type: X.ThingMode
        Required: True
        Position: Named
        Accepted values: Fast, Slow
        ```

        ### -Database
        The catalog.

        ```yaml
        Type: System.String
        ```

        ### CommonParameters
        This cmdlet supports the common parameters.

        ## INPUTS

        ### System.String[]
        Names.

        ## OUTPUTS

        ### X.Thing
        A thing.

        ## NOTES
        A note.

        ## RELATED LINKS

        [Get-Other](Get-Other.md)

        [Online](https://example.org/thing)
        """;

    [Fact]
    public void Read_TakesEverySectionOfAPlatyPSPage()
    {
        CmdletHelp help = CmdletHelpReader.Read(Page, "Get-Thing.md");

        Assert.Equal("Get-Thing", help.Name);
        Assert.Equal(("Get", "Thing"), (help.Verb, help.Noun));
        Assert.Equal("Gets things from a catalog of *.log files, as -Name '*.log' finds them.", help.Synopsis); // wildcards, not emphasis
        Assert.Equal(new[] { "First paragraph wrapped in the source.", "- one item", "- two items" }, help.Description);
        Assert.Equal(new[] { "Name", "Count", "Force", "Mode", "Database" }, help.Parameters.Select(p => p.Name));
        Assert.True(help.SupportsCommonParameters);
        ParameterHelp name = help.Parameters[0];
        Assert.Equal(new[] { "N", "Names" }, name.Aliases);
        Assert.Equal("0", name.Position);
        Assert.Equal("True (ByValue, ByPropertyName)", name.PipelineInput);
        Assert.True(name.Globbing);
        Assert.Equal("String[]", name.ShortType);
        Assert.Contains("about_Wildcards (https://learn.microsoft.com/wildcards)", name.Description[0]);
        Assert.True(help.Parameters[2].IsSwitch);
        Assert.Equal(new[] { "Fast", "Slow" }, help.Parameters[3].AcceptedValues);
        Assert.Equal(2, help.Examples.Count);
        Assert.Equal("Example 1: The simplest call", help.Examples[0].Title);
        Assert.Equal("PS> Get-Thing -Name a\na", help.Examples[0].Code);
        Assert.Equal(new[] { "It returns a." }, help.Examples[0].Remarks);
        Assert.Equal("System.String[]", Assert.Single(help.Inputs).Name);
        Assert.Equal(new[] { "A note." }, help.Notes);
        Assert.Equal(new[] { new LinkHelp("Get-Other", null), new LinkHelp("Online", "https://example.org/thing") }, help.Links);
    }

    [Fact]
    public void Read_UnderstandsTheBracketsOfTheSyntaxLine()
    {
        SyntaxItem set = Assert.Single(CmdletHelpReader.Read(Page, "Get-Thing.md").Syntax);

        Assert.Equal(new[]
        {
            new SyntaxParameter("Name", Required: true, Positional: true, IsSwitch: false),
            new SyntaxParameter("Count", Required: false, Positional: true, IsSwitch: false),
            new SyntaxParameter("Force", Required: false, Positional: false, IsSwitch: true),
            new SyntaxParameter("Mode", Required: true, Positional: false, IsSwitch: false),
            new SyntaxParameter("Database", Required: false, Positional: false, IsSwitch: false),
        }, set.Parameters);
    }

    [Theory]
    [InlineData("## SYNOPSIS\n", "no '## SYNOPSIS' section")]
    [InlineData("```yaml\nType: System.Int32\nRequired: False\nPosition: 1\nDefault value: 10\nAccept pipeline input: False\nAccept wildcard characters: False\n```", "-Count has no ```yaml block")]
    [InlineData("How many.", "-Count has no description")]
    public void Read_NamesThePageAndThePartAtFault(string removed, string expected)
    {
        var ex = Assert.Throws<HelpFormatException>(() => CmdletHelpReader.Read(Page.Replace(removed, string.Empty, StringComparison.Ordinal), "Get-Thing.md"));

        Assert.Contains("Get-Thing.md", ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Maml_HasWhatGetHelpShows()
    {
        XDocument maml = MamlWriter.Build(new[] { CmdletHelpReader.Read(Page, "Get-Thing.md") });
        XNamespace command = "http://schemas.microsoft.com/maml/dev/command/2004/10", maml2 = "http://schemas.microsoft.com/maml/2004/10", dev = "http://schemas.microsoft.com/maml/dev/2004/10";

        XElement c = Assert.Single(maml.Descendants(command + "command"));
        Assert.Equal("Gets things from a catalog of *.log files, as -Name '*.log' finds them.", c.Element(command + "details")!.Element(maml2 + "description")!.Value);
        XElement name = c.Element(command + "parameters")!.Elements(command + "parameter").First();
        Assert.Equal(("true", "0", "N, Names", "True (ByValue, ByPropertyName)", "true"),
            ((string)name.Attribute("required")!, (string)name.Attribute("position")!, (string)name.Attribute("aliases")!, (string)name.Attribute("pipelineInput")!, (string)name.Attribute("globbing")!));
        XElement syntax = c.Element(command + "syntax")!.Element(command + "syntaxItem")!;
        Assert.Equal(5, syntax.Elements(command + "parameter").Count());
        Assert.Equal("PS> Get-Thing -Name a\na", c.Descendants(dev + "code").First().Value);
        Assert.Equal(new[] { "Get-Other", "Online" }, c.Descendants(maml2 + "linkText").Select(l => l.Value));
        Assert.Equal("https://example.org/thing", c.Descendants(maml2 + "uri").Last().Value);
    }

    [Fact]
    public void AboutTopic_IsWrappedTo80Columns_ExceptCode_WithHeadingsInCapitals()
    {
        string text = AboutTopicWriter.Render(File.ReadAllText(Repo.Combine("docs", "help", "about_ScanTools.md")), "about_ScanTools.md");
        string[] lines = text.Split('\n');

        Assert.StartsWith("TOPIC\n    about_ScanTools\n", text, StringComparison.Ordinal);
        Assert.Contains("SHORT DESCRIPTION", lines);
        Assert.Contains("    THE SINGLE-WRITER MODEL", lines);
        Assert.All(lines.Where(l => !l.StartsWith("        ", StringComparison.Ordinal) && !l.Contains("://", StringComparison.Ordinal)),
            l => Assert.True(l.Length <= AboutTopicWriter.Width, $"longer than 80 columns: {l}"));
        Assert.DoesNotContain("```", text);
        Assert.DoesNotContain("## ", text);
    }
}
