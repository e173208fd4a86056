using System.Text.RegularExpressions;
using Markdig;
using Markdig.Syntax;
using YamlDotNet.RepresentationModel;

namespace ScanTools.HelpBuilder;

/// <summary>A help page that does not have the shape of a platyPS page; the message names the page and the part.</summary>
public sealed class HelpFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public HelpFormatException(string message)
        : base(message)
    {
    }
}

/// <summary>
/// Reads a platyPS cmdlet page (schema 2.0.0): H1 the cmdlet, H2 the sections (SYNOPSIS, SYNTAX,
/// DESCRIPTION, EXAMPLES, PARAMETERS, INPUTS, OUTPUTS, NOTES, RELATED LINKS), H3 each example, parameter,
/// input and output type, and a YAML block with each parameter's metadata.
/// </summary>
public static partial class CmdletHelpReader
{
    /// <summary>The Markdown dialect of the pages: CommonMark, pipe tables, YAML front matter.</summary>
    internal static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UsePipeTables().UseYamlFrontMatter().Build();

    /// <summary>Reads a page.</summary>
    /// <param name="markdown">The page's text.</param>
    /// <param name="source">Its file name, for messages.</param>
    /// <exception cref="HelpFormatException">A section or a parameter's metadata is missing or malformed.</exception>
    public static CmdletHelp Read(string markdown, string source)
    {
        MarkdownDocument document = Markdown.Parse(markdown, Pipeline);
        string? name = null;
        var sections = new Dictionary<string, List<Block>>(StringComparer.OrdinalIgnoreCase);
        List<Block>? current = null;
        foreach (Block block in document)
        {
            if (block is HeadingBlock { Level: 1 } h1)
            {
                name = MarkdownText.Inline(h1.Inline);
                current = null;
            }
            else if (block is HeadingBlock { Level: 2 } h2)
            {
                sections[MarkdownText.Inline(h2.Inline)] = current = new List<Block>();
            }
            else if (block is not Markdig.Extensions.Yaml.YamlFrontMatterBlock)
            {
                current?.Add(block);
            }
        }
        if (string.IsNullOrEmpty(name))
        {
            throw new HelpFormatException($"{source}: no '# Cmdlet-Name' heading.");
        }
        List<Block> Section(string title) => sections.TryGetValue(title, out List<Block>? blocks)
            ? blocks
            : throw new HelpFormatException($"{source}: no '## {title}' section.");
        List<Block> Optional(string title) => sections.TryGetValue(title, out List<Block>? blocks) ? blocks : new List<Block>();

        string synopsis = string.Join(' ', MarkdownText.Paragraphs(Section("SYNOPSIS")));
        if (synopsis.Length == 0)
        {
            throw new HelpFormatException($"{source}: the SYNOPSIS is empty.");
        }
        List<(string Title, List<Block> Blocks)> parameterSections = Subsections(Section("PARAMETERS"));
        var parameters = new List<ParameterHelp>();
        bool common = false;
        foreach ((string title, List<Block> blocks) in parameterSections)
        {
            if (title.Equals("CommonParameters", StringComparison.OrdinalIgnoreCase))
            {
                common = true;
                continue;
            }
            parameters.Add(ReadParameter(title, blocks, source));
        }
        return new CmdletHelp
        {
            Name = name,
            Synopsis = synopsis,
            Description = MarkdownText.Paragraphs(Section("DESCRIPTION")),
            Syntax = ReadSyntax(Section("SYNTAX"), name, source),
            Parameters = parameters,
            SupportsCommonParameters = common,
            Examples = Subsections(Section("EXAMPLES")).Select(e => ReadExample(e.Title, e.Blocks, source)).ToList(),
            Inputs = Subsections(Optional("INPUTS")).Select(t => new TypeHelp(t.Title, MarkdownText.Paragraphs(t.Blocks))).ToList(),
            Outputs = Subsections(Optional("OUTPUTS")).Select(t => new TypeHelp(t.Title, MarkdownText.Paragraphs(t.Blocks))).ToList(),
            Notes = MarkdownText.Paragraphs(Optional("NOTES")),
            Links = ReadLinks(Optional("RELATED LINKS")),
        };
    }

    /// <summary>Splits a section at its H3 headings; text before the first heading is dropped.</summary>
    private static List<(string Title, List<Block> Blocks)> Subsections(List<Block> blocks)
    {
        var result = new List<(string, List<Block>)>();
        List<Block>? current = null;
        foreach (Block b in blocks)
        {
            if (b is HeadingBlock { Level: 3 } h3)
            {
                current = new List<Block>();
                result.Add((MarkdownText.Inline(h3.Inline), current));
            }
            else
            {
                current?.Add(b);
            }
        }
        return result;
    }

    private static ParameterHelp ReadParameter(string title, List<Block> blocks, string source)
    {
        if (!title.StartsWith('-'))
        {
            throw new HelpFormatException($"{source}: the parameter heading '### {title}' must start with a dash.");
        }
        string name = title[1..];
        FencedCodeBlock? yaml = blocks.OfType<FencedCodeBlock>().LastOrDefault(b => b.Info is "yaml" or "yml");
        if (yaml is null)
        {
            throw new HelpFormatException($"{source}: the parameter -{name} has no ```yaml block with its Type, Required, Position and the rest.");
        }
        Dictionary<string, string> meta = ReadMetadata(MarkdownText.Code(yaml), $"{source}, -{name}");
        string Get(string key, string fallback) => meta.TryGetValue(key, out string? v) && v.Length > 0 ? v : fallback;
        if (!meta.TryGetValue("Type", out string? type) || type.Length == 0)
        {
            throw new HelpFormatException($"{source}: the metadata of -{name} has no Type.");
        }
        List<string> description = MarkdownText.Paragraphs(blocks.Where(b => b != yaml));
        if (description.Count == 0)
        {
            throw new HelpFormatException($"{source}: the parameter -{name} has no description.");
        }
        return new ParameterHelp
        {
            Name = name,
            Description = description,
            Type = type,
            Aliases = List(Get("Aliases", string.Empty)),
            ParameterSets = Get("Parameter Sets", "(All)"),
            Required = Get("Required", "False"),
            Position = Get("Position", "Named"),
            DefaultValue = Get("Default value", "None"),
            PipelineInput = Get("Accept pipeline input", "False"),
            Globbing = Get("Accept wildcard characters", "False").Equals("True", StringComparison.OrdinalIgnoreCase),
            AcceptedValues = List(Get("Accepted values", string.Empty)),
        };
    }

    private static List<string> List(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    /// <summary>The key/value lines of a parameter's metadata block, read with a YAML parser.</summary>
    private static Dictionary<string, string> ReadMetadata(string yaml, string where)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlDotNet.Core.YamlException ex)
        {
            throw new HelpFormatException($"{where}: the metadata block is not valid YAML ({ex.Message}).");
        }
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (stream.Documents.Count == 0)
        {
            return result;
        }
        if (stream.Documents[0].RootNode is not YamlMappingNode map)
        {
            throw new HelpFormatException($"{where}: the metadata block must be 'Key: value' lines.");
        }
        foreach ((YamlNode key, YamlNode value) in map.Children)
        {
            result[((YamlScalarNode)key).Value ?? string.Empty] = value is YamlScalarNode scalar ? scalar.Value ?? string.Empty : value.ToString();
        }
        return result;
    }

    private static ExampleHelp ReadExample(string title, List<Block> blocks, string source)
    {
        FencedCodeBlock? code = blocks.OfType<FencedCodeBlock>().FirstOrDefault();
        if (code is null)
        {
            throw new HelpFormatException($"{source}: '{title}' has no code block.");
        }
        return new ExampleHelp(title, MarkdownText.Code(code), MarkdownText.Paragraphs(blocks.Where(b => b != code)));
    }

    private static List<LinkHelp> ReadLinks(List<Block> blocks)
    {
        var links = new List<LinkHelp>();
        // Links sit in the inlines of paragraphs (of list items, too), which block descendants do not reach.
        IEnumerable<Markdig.Syntax.Inlines.LinkInline> inlines = blocks
            .SelectMany(b => b is LeafBlock leaf ? new[] { leaf } : b.Descendants<LeafBlock>())
            .Where(leaf => leaf.Inline is not null)
            .SelectMany(leaf => leaf.Inline!.Descendants<Markdig.Syntax.Inlines.LinkInline>());
        foreach (Markdig.Syntax.Inlines.LinkInline link in inlines)
        {
            string text = MarkdownText.LinkText(link);
            links.Add(new LinkHelp(text, link.Url is { } url && MarkdownText.IsWebAddress(url) ? url : null));
        }
        return links;
    }

    /// <summary>
    /// Each line of the SYNTAX block that starts with the cmdlet's name is a parameter set. In it,
    /// <c>-Name &lt;T&gt;</c> is mandatory, <c>[-Name &lt;T&gt;]</c> optional, <c>[-Name] &lt;T&gt;</c> mandatory
    /// and positional, <c>[[-Name] &lt;T&gt;]</c> optional and positional, <c>[-Name]</c> a switch.
    /// </summary>
    private static List<SyntaxItem> ReadSyntax(List<Block> blocks, string name, string source)
    {
        string text = string.Join('\n', blocks.OfType<FencedCodeBlock>().Select(MarkdownText.Code));
        // A set may wrap onto lines that start with a space; join them first.
        var sets = new List<string>();
        foreach (string line in text.Split('\n'))
        {
            if (line.StartsWith(name, StringComparison.OrdinalIgnoreCase))
            {
                sets.Add(line[name.Length..]);
            }
            else if (sets.Count > 0 && line.Length > 0)
            {
                sets[^1] += " " + line.Trim();
            }
        }
        if (sets.Count == 0)
        {
            throw new HelpFormatException($"{source}: the SYNTAX block has no line starting with '{name}'.");
        }
        return sets.Select(set => new SyntaxItem(Parameters(set))).ToList();
    }

    /// <summary>The parameters of one syntax line, read token by token with the depth of brackets.</summary>
    private static List<SyntaxParameter> Parameters(string set)
    {
        List<string> tokens = SyntaxToken().Matches(set).Select(m => m.Value).ToList();
        string At(int i) => i >= 0 && i < tokens.Count ? tokens[i] : string.Empty;
        var result = new List<SyntaxParameter>();
        int depth = 0;
        for (int i = 0; i < tokens.Count; i++)
        {
            string t = tokens[i];
            if (t == "[")
            {
                depth++;
                continue;
            }
            if (t == "]")
            {
                depth--;
                continue;
            }
            if (!t.StartsWith('-'))
            {
                continue; // a value placeholder, or <CommonParameters>
            }
            string name = t[1..];
            if (At(i - 1) == "[" && At(i + 1) == "]")
            {
                if (At(i + 2).StartsWith('<'))
                {
                    // [-Name] <T>: positional; mandatory unless the whole is in brackets too.
                    result.Add(new SyntaxParameter(name, depth - 1 == 0, Positional: true, IsSwitch: false));
                }
                else
                {
                    result.Add(new SyntaxParameter(name, Required: false, Positional: false, IsSwitch: true));
                }
                continue;
            }
            bool hasValue = At(i + 1).StartsWith('<');
            result.Add(new SyntaxParameter(name, depth == 0, Positional: false, IsSwitch: !hasValue));
        }
        return result;
    }

    [GeneratedRegex(@"\[|\]|-\w+|<[^>]+>")]
    private static partial Regex SyntaxToken();
}
