using System.Text;
using Markdig;
using Markdig.Syntax;

namespace ScanTools.HelpBuilder;

/// <summary>
/// Turns an about_ page into the plain text PowerShell shows for <c>Get-Help about_Name</c>
/// (<c>about_Name.help.txt</c>): headings in capitals at the margin, text indented and wrapped to 80
/// columns, lists with hanging indents, code indented and never wrapped.
/// </summary>
public static class AboutTopicWriter
{
    /// <summary>The width the text is wrapped to: what a default console and Get-Help's own topics use.</summary>
    public const int Width = 80;

    /// <summary>Renders a page.</summary>
    /// <exception cref="HelpFormatException">The page has no '# about_Name' heading.</exception>
    public static string Render(string markdown, string source)
    {
        MarkdownDocument document = Markdown.Parse(markdown, CmdletHelpReader.Pipeline);
        var sb = new StringBuilder();
        string? topic = null;
        foreach (Block block in document)
        {
            switch (block)
            {
                case HeadingBlock { Level: 1 } h1:
                    topic = MarkdownText.Inline(h1.Inline);
                    sb.Append("TOPIC\n    ").Append(topic).Append("\n\n");
                    break;
                case HeadingBlock h when MarkdownText.Inline(h.Inline) == topic:
                    break; // platyPS's about template repeats the name as an H2
                case HeadingBlock { Level: 2 } h2:
                    sb.Append(MarkdownText.Inline(h2.Inline).ToUpperInvariant()).Append('\n');
                    break;
                case HeadingBlock h:
                    if (sb.Length > 1 && !(sb[^1] == '\n' && sb[^2] == '\n'))
                    {
                        sb.Append('\n');
                    }
                    sb.Append("    ").Append(MarkdownText.Inline(h.Inline).ToUpperInvariant()).Append('\n');
                    break;
                case Markdig.Extensions.Yaml.YamlFrontMatterBlock:
                    break;
                case FencedCodeBlock or CodeBlock or Markdig.Extensions.Tables.Table:
                    foreach (string paragraph in MarkdownText.Paragraphs(new[] { block }))
                    {
                        foreach (string line in paragraph.Split('\n'))
                        {
                            sb.Append(line.Length == 0 ? string.Empty : "        " + line).Append('\n');
                        }
                    }
                    sb.Append('\n');
                    break;
                case ListBlock list:
                    foreach (string item in MarkdownText.Paragraphs(new[] { list }))
                    {
                        int hang = item.StartsWith("- ", StringComparison.Ordinal) ? 2 : item.IndexOf(". ", StringComparison.Ordinal) + 2;
                        Wrap(sb, item, "    ", "    " + new string(' ', Math.Max(hang, 0)));
                    }
                    sb.Append('\n');
                    break;
                default:
                    foreach (string paragraph in MarkdownText.Paragraphs(new[] { block }))
                    {
                        Wrap(sb, paragraph, "    ", "    ");
                        sb.Append('\n');
                    }
                    break;
            }
        }
        if (topic is null)
        {
            throw new HelpFormatException($"{source}: no '# about_Name' heading.");
        }
        return sb.ToString().TrimEnd() + "\n";
    }

    /// <summary>Word-wraps one paragraph (its own line breaks kept) to <see cref="Width"/>.</summary>
    private static void Wrap(StringBuilder sb, string text, string firstIndent, string indent)
    {
        bool first = true;
        foreach (string hardLine in text.Split('\n'))
        {
            string prefix = first ? firstIndent : indent;
            var line = new StringBuilder(prefix);
            bool empty = true;
            foreach (string word in hardLine.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (!empty && line.Length + 1 + word.Length > Width)
                {
                    sb.Append(line).Append('\n');
                    line.Clear().Append(indent);
                    empty = true;
                }
                if (!empty)
                {
                    line.Append(' ');
                }
                line.Append(word);
                empty = false;
            }
            sb.Append(line).Append('\n');
            first = false;
        }
    }
}
