namespace ScanTools.HelpBuilder;

/// <summary>
/// One cmdlet's help as a platyPS page states it: what Get-Help shows. Text is a list of paragraphs;
/// a paragraph keeps its line breaks only where the page had preformatted text (a code block).
/// </summary>
public sealed record CmdletHelp
{
    /// <summary>The cmdlet name, Verb-Noun.</summary>
    public required string Name { get; init; }

    /// <summary>The one-paragraph SYNOPSIS.</summary>
    public required string Synopsis { get; init; }

    /// <summary>The DESCRIPTION paragraphs.</summary>
    public required IReadOnlyList<string> Description { get; init; }

    /// <summary>One item per line of the SYNTAX block: a parameter set.</summary>
    public required IReadOnlyList<SyntaxItem> Syntax { get; init; }

    /// <summary>The PARAMETERS, without CommonParameters.</summary>
    public required IReadOnlyList<ParameterHelp> Parameters { get; init; }

    /// <summary>True when the page says the cmdlet supports the common parameters.</summary>
    public bool SupportsCommonParameters { get; init; }

    /// <summary>The EXAMPLES.</summary>
    public required IReadOnlyList<ExampleHelp> Examples { get; init; }

    /// <summary>The INPUTS: a type name and what it means.</summary>
    public IReadOnlyList<TypeHelp> Inputs { get; init; } = Array.Empty<TypeHelp>();

    /// <summary>The OUTPUTS.</summary>
    public IReadOnlyList<TypeHelp> Outputs { get; init; } = Array.Empty<TypeHelp>();

    /// <summary>The NOTES paragraphs.</summary>
    public IReadOnlyList<string> Notes { get; init; } = Array.Empty<string>();

    /// <summary>The RELATED LINKS.</summary>
    public IReadOnlyList<LinkHelp> Links { get; init; } = Array.Empty<LinkHelp>();

    /// <summary>The verb of <see cref="Name"/>.</summary>
    public string Verb => Name.Split('-', 2)[0];

    /// <summary>The noun of <see cref="Name"/>.</summary>
    public string Noun => Name.Contains('-', StringComparison.Ordinal) ? Name.Split('-', 2)[1] : string.Empty;
}

/// <summary>One parameter set as the SYNTAX block writes it.</summary>
/// <param name="Parameters">The parameters in the order written.</param>
public sealed record SyntaxItem(IReadOnlyList<SyntaxParameter> Parameters);

/// <summary>A parameter in one syntax line.</summary>
/// <param name="Name">The name without the dash.</param>
/// <param name="Required">Written without brackets around it: mandatory in this set.</param>
/// <param name="Positional">Its name is in brackets: it can be given by position.</param>
/// <param name="IsSwitch">It takes no value.</param>
public sealed record SyntaxParameter(string Name, bool Required, bool Positional, bool IsSwitch);

/// <summary>One parameter's section of PARAMETERS: its description and its metadata block.</summary>
public sealed record ParameterHelp
{
    /// <summary>The name without the dash.</summary>
    public required string Name { get; init; }

    /// <summary>What it does.</summary>
    public required IReadOnlyList<string> Description { get; init; }

    /// <summary>The .NET type as written (System.String, ScanTools.Storage.Durability, SwitchParameter).</summary>
    public required string Type { get; init; }

    /// <summary>Aliases, possibly none.</summary>
    public IReadOnlyList<string> Aliases { get; init; } = Array.Empty<string>();

    /// <summary>The parameter sets, or "(All)".</summary>
    public string ParameterSets { get; init; } = "(All)";

    /// <summary>The Required line as written (True, False, or per set).</summary>
    public string Required { get; init; } = "False";

    /// <summary>The Position line as written (Named, 0, 1, ...).</summary>
    public string Position { get; init; } = "Named";

    /// <summary>The default value as written.</summary>
    public string DefaultValue { get; init; } = "None";

    /// <summary>The Accept pipeline input line as written (False, True (ByValue, ByPropertyName)).</summary>
    public string PipelineInput { get; init; } = "False";

    /// <summary>Whether it takes wildcard characters.</summary>
    public bool Globbing { get; init; }

    /// <summary>The values it accepts, when they are a fixed set.</summary>
    public IReadOnlyList<string> AcceptedValues { get; init; } = Array.Empty<string>();

    /// <summary>True for a switch (no value).</summary>
    public bool IsSwitch => Type.EndsWith("SwitchParameter", StringComparison.Ordinal);

    /// <summary>The type without its namespace, as Get-Help shows a parameter's value.</summary>
    public string ShortType => Type.Contains('.', StringComparison.Ordinal) ? Type[(Type.LastIndexOf('.') + 1)..] : Type;
}

/// <summary>One example: its title, its code, and what follows the code.</summary>
/// <param name="Title">The heading, for example "Example 1: Show the last five runs".</param>
/// <param name="Code">The first code block (commands and, where shown, their output).</param>
/// <param name="Remarks">Paragraphs around the code.</param>
public sealed record ExampleHelp(string Title, string Code, IReadOnlyList<string> Remarks);

/// <summary>An input or output type and what it means.</summary>
/// <param name="Name">The type name.</param>
/// <param name="Description">Its paragraphs.</param>
public sealed record TypeHelp(string Name, IReadOnlyList<string> Description);

/// <summary>A related link: another topic (no address) or a web page.</summary>
/// <param name="Text">The link text.</param>
/// <param name="Uri">An absolute web address, or null for another help topic.</param>
public sealed record LinkHelp(string Text, string? Uri);
