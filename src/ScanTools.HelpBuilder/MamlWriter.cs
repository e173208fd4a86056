using System.Xml;
using System.Xml.Linq;

namespace ScanTools.HelpBuilder;

/// <summary>
/// Writes cmdlet help as MAML, the XML PowerShell's Get-Help reads from
/// <c>&lt;module&gt;/&lt;culture&gt;/&lt;assembly&gt;.dll-Help.xml</c>: the same elements platyPS's
/// New-ExternalHelp writes, so Get-Help shows synopsis, syntax, description, parameters with their
/// attributes, inputs, outputs, notes, examples and links.
/// </summary>
public static class MamlWriter
{
    private static readonly XNamespace Msh = "http://msh";
    private static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    private static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

    /// <summary>The MAML document for these cmdlets.</summary>
    public static XDocument Build(IEnumerable<CmdletHelp> cmdlets) => new(
        new XDeclaration("1.0", "utf-8", null),
        new XElement(Msh + "helpItems",
            new XAttribute("schema", "maml"),
            new XAttribute(XNamespace.Xmlns + "maml", Maml),
            new XAttribute(XNamespace.Xmlns + "command", Command),
            new XAttribute(XNamespace.Xmlns + "dev", Dev),
            cmdlets.Select(CommandElement)));

    /// <summary>Writes the document as UTF-8 with indentation.</summary>
    public static void Save(XDocument document, string path)
    {
        var settings = new XmlWriterSettings { Indent = true, Encoding = new System.Text.UTF8Encoding(false) };
        using XmlWriter writer = XmlWriter.Create(path, settings);
        document.Save(writer);
    }

    private static XElement CommandElement(CmdletHelp c)
    {
        var byName = c.Parameters.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        return new XElement(Command + "command",
            new XElement(Command + "details",
                new XElement(Command + "name", c.Name),
                new XElement(Command + "verb", c.Verb),
                new XElement(Command + "noun", c.Noun),
                Description(new[] { c.Synopsis })),
            Description(c.Description),
            new XElement(Command + "syntax",
                c.Syntax.Select(set => new XElement(Command + "syntaxItem",
                    new XElement(Maml + "name", c.Name),
                    set.Parameters.Select(sp => byName.TryGetValue(sp.Name, out ParameterHelp? p)
                        ? Parameter(p, sp.Required, sp.Positional ? p.Position : "named")
                        : throw new HelpFormatException($"{c.Name}: the SYNTAX names -{sp.Name}, which the PARAMETERS section does not describe."))))),
            new XElement(Command + "parameters",
                c.Parameters.Select(p => Parameter(p, IsRequired(p), p.Position.Equals("Named", StringComparison.OrdinalIgnoreCase) ? "named" : p.Position))),
            new XElement(Command + "inputTypes", c.Inputs.Select(t => TypeElement(Command + "inputType", t))),
            new XElement(Command + "returnValues", c.Outputs.Select(t => TypeElement(Command + "returnValue", t))),
            new XElement(Maml + "alertSet",
                new XElement(Maml + "alert", Paras(c.Notes))),
            new XElement(Command + "examples",
                c.Examples.Select(e => new XElement(Command + "example",
                    new XElement(Maml + "title", $"-------------------------- {e.Title} --------------------------"),
                    new XElement(Dev + "code", e.Code),
                    new XElement(Dev + "remarks", Paras(e.Remarks))))),
            new XElement(Command + "relatedLinks",
                c.Links.Select(l => new XElement(Maml + "navigationLink",
                    new XElement(Maml + "linkText", l.Text),
                    new XElement(Maml + "uri", l.Uri ?? string.Empty)))));
    }

    private static bool IsRequired(ParameterHelp p) => p.Required.StartsWith("True", StringComparison.OrdinalIgnoreCase);

    private static XElement Parameter(ParameterHelp p, bool required, string position) =>
        new(Command + "parameter",
            new XAttribute("required", required ? "true" : "false"),
            new XAttribute("variableLength", p.Type.EndsWith("[]", StringComparison.Ordinal) ? "true" : "false"),
            new XAttribute("globbing", p.Globbing ? "true" : "false"),
            new XAttribute("pipelineInput", p.PipelineInput),
            new XAttribute("position", position),
            new XAttribute("aliases", p.Aliases.Count == 0 ? "none" : string.Join(", ", p.Aliases)),
            new XElement(Maml + "name", p.Name),
            Description(p.Description),
            p.AcceptedValues.Count > 0
                ? new XElement(Command + "parameterValueGroup",
                    p.AcceptedValues.Select(v => new XElement(Command + "parameterValue", new XAttribute("required", "false"), new XAttribute("variableLength", "false"), v)))
                : null,
            p.IsSwitch
                ? null
                : new XElement(Command + "parameterValue", new XAttribute("required", "true"), new XAttribute("variableLength", "false"), p.ShortType),
            new XElement(Dev + "type",
                new XElement(Maml + "name", p.Type),
                new XElement(Maml + "uri")),
            new XElement(Dev + "defaultValue", p.DefaultValue));

    private static XElement TypeElement(XName name, TypeHelp t) =>
        new(name,
            new XElement(Dev + "type",
                new XElement(Maml + "name", t.Name)),
            Description(t.Description));

    private static XElement Description(IEnumerable<string> paragraphs) => new(Maml + "description", Paras(paragraphs));

    private static IEnumerable<XElement> Paras(IEnumerable<string> paragraphs) =>
        paragraphs.Select(p => new XElement(Maml + "para", p));
}
