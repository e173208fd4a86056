using System.Text;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace ScanTools.HelpBuilder;

/// <summary>Turns Markdig blocks into the plain text a console shows: no markup, paragraphs unwrapped.</summary>
internal static class MarkdownText
{
    /// <summary>
    /// The text of a heading or paragraph: code spans without their marks, links as their text. What Markdown reads as
    /// emphasis keeps its asterisks or underscores: in these pages they are wildcards (*.pst, -Name '*.tar.gz'), and a
    /// pair of them on one line would otherwise lose both.
    /// </summary>
    public static string Inline(ContainerInline? inlines)
    {
        var sb = new StringBuilder();
        Append(sb, inlines);
        return sb.ToString().Trim();
    }

    private static void Append(StringBuilder sb, Inline? inline)
    {
        for (Inline? i = inline; i is not null; i = i.NextSibling)
        {
            switch (i)
            {
                case LiteralInline l:
                    sb.Append(l.Content.ToString());
                    break;
                case CodeInline c:
                    sb.Append(c.Content);
                    break;
                case LineBreakInline b:
                    sb.Append(b.IsHard ? "\n" : " ");
                    break;
                case LinkInline link:
                    int start = sb.Length;
                    Append(sb, link.FirstChild);
                    string text = sb.ToString(start, sb.Length - start);
                    if (link.Url is { } url && IsWebAddress(url) && text != url)
                    {
                        sb.Append(" (").Append(url).Append(')');
                    }
                    break;
                case AutolinkInline auto:
                    sb.Append(auto.Url);
                    break;
                case HtmlEntityInline entity:
                    sb.Append(entity.Transcoded.ToString());
                    break;
                case HtmlInline html:
                    sb.Append(html.Tag);
                    break;
                case EmphasisInline emphasis:
                    string marks = new(emphasis.DelimiterChar, emphasis.DelimiterCount);
                    sb.Append(marks);
                    Append(sb, emphasis.FirstChild);
                    sb.Append(marks);
                    break;
                case ContainerInline container:
                    Append(sb, container.FirstChild);
                    break;
            }
        }
    }

    /// <summary>The text of a link, without its address.</summary>
    public static string LinkText(LinkInline link)
    {
        var sb = new StringBuilder();
        Append(sb, link.FirstChild);
        return sb.ToString().Trim();
    }

    /// <summary>An absolute http(s) address.</summary>
    public static bool IsWebAddress(string url) =>
        url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    /// <summary>A pipe table as aligned columns of plain text, one preformatted paragraph.</summary>
    private static string Table(Markdig.Extensions.Tables.Table table)
    {
        List<List<string>> rows = table.OfType<Markdig.Extensions.Tables.TableRow>()
            .Select(r => r.OfType<Markdig.Extensions.Tables.TableCell>()
                .Select(c => string.Join(' ', c.OfType<ParagraphBlock>().Select(p => Inline(p.Inline)))).ToList())
            .ToList();
        int columns = rows.Max(r => r.Count);
        int[] widths = Enumerable.Range(0, columns).Select(i => rows.Max(r => i < r.Count ? r[i].Length : 0)).ToArray();
        var sb = new StringBuilder();
        for (int r = 0; r < rows.Count; r++)
        {
            sb.AppendJoin("  ", rows[r].Select((cell, i) => cell.PadRight(widths[i]))).Append('\n');
            if (r == 0 && table.OfType<Markdig.Extensions.Tables.TableRow>().First().IsHeader)
            {
                sb.AppendJoin("  ", widths.Select(w => new string('-', w))).Append('\n');
            }
        }
        return sb.ToString().TrimEnd();
    }

    /// <summary>The lines of a code block, exactly as written.</summary>
    public static string Code(LeafBlock code) => string.Join('\n', code.Lines.Lines.Take(code.Lines.Count).Select(l => l.ToString())).TrimEnd();

    /// <summary>
    /// The paragraphs of a run of blocks: a paragraph each, a list item each (with its bullet or number),
    /// a code block as one preformatted paragraph, a table as its source lines.
    /// </summary>
    public static List<string> Paragraphs(IEnumerable<Block> blocks)
    {
        var paragraphs = new List<string>();
        foreach (Block block in blocks)
        {
            AddParagraphs(paragraphs, block, indent: string.Empty);
        }
        return paragraphs;
    }

    private static void AddParagraphs(List<string> paragraphs, Block block, string indent)
    {
        switch (block)
        {
            case ParagraphBlock p:
                paragraphs.Add(indent + Inline(p.Inline));
                break;
            case Markdig.Extensions.Yaml.YamlFrontMatterBlock:
                break;
            case FencedCodeBlock or CodeBlock:
                paragraphs.Add(Code((LeafBlock)block));
                break;
            case ListBlock list:
                int number = int.TryParse(list.OrderedStart, out int n) ? n : 1;
                foreach (ListItemBlock item in list.OfType<ListItemBlock>())
                {
                    string bullet = list.IsOrdered ? $"{number++}. " : "- ";
                    var inner = new List<string>();
                    foreach (Block b in item)
                    {
                        AddParagraphs(inner, b, string.Empty);
                    }
                    for (int i = 0; i < inner.Count; i++)
                    {
                        paragraphs.Add(indent + (i == 0 ? bullet : new string(' ', bullet.Length)) + inner[i]);
                    }
                }
                break;
            case Markdig.Extensions.Tables.Table table:
                paragraphs.Add(Table(table));
                break;
            case QuoteBlock quote:
                foreach (Block b in quote)
                {
                    AddParagraphs(paragraphs, b, indent);
                }
                break;
            case LeafBlock leaf when leaf.Lines.Count > 0:
                paragraphs.Add(Code(leaf)); // anything else (a table): its source, as written
                break;
            case ContainerBlock container:
                foreach (Block b in container)
                {
                    AddParagraphs(paragraphs, b, indent);
                }
                break;
        }
    }
}
