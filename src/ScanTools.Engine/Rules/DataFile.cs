using System.Globalization;
using System.Text;

namespace ScanTools.Rules;

/// <summary>
/// Reads PowerShell data files (<c>.psd1</c>) without running them: the restricted language's literals
/// only, as <c>Import-PowerShellDataFile</c> accepts them. A hashtable <c>@{ }</c> becomes a
/// case-insensitive <see cref="Dictionary{TKey, TValue}"/>, an array <c>@( )</c> or a comma list a
/// <see cref="List{T}"/> of objects, a string a <see cref="string"/> (single-quoted, double-quoted without
/// expansion, or a here-string), a whole number a <see cref="long"/> (with the KB, MB, GB, TB and PB
/// multipliers of 1024), a decimal number a <see cref="double"/>, and <c>$true</c>, <c>$false</c>,
/// <c>$null</c> themselves. Anything else (a variable, a command, a sub-expression, a type) is refused
/// with its line and column: a data file never executes.
/// </summary>
public static class DataFile
{
    // Where each parsed hashtable and each of its keys sat in the text, for messages about their values.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Dictionary<string, object?>, Dictionary<string, int>> Lines = new();

    /// <summary>
    /// The 1-based line of <paramref name="key"/> in a hashtable this reader returned (of the table's <c>@{</c>
    /// when <paramref name="key"/> is null or absent); null for a table it did not parse.
    /// </summary>
    public static int? LineOf(Dictionary<string, object?> table, string? key = null) =>
        Lines.TryGetValue(table, out Dictionary<string, int>? lines)
            ? key is not null && lines.TryGetValue(key, out int line) ? line : lines.GetValueOrDefault("")
            : null;

    /// <summary>Reads the file at <paramref name="path"/>; its top level must be one hashtable.</summary>
    /// <exception cref="FormatException">The text is not a data file; the message names file, line and column.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static Dictionary<string, object?> ReadFile(string path) => Parse(File.ReadAllText(path), path);

    /// <summary>Parses data-file text; <paramref name="source"/> names it in error messages.</summary>
    /// <exception cref="FormatException">The text is not a data file.</exception>
    public static Dictionary<string, object?> Parse(string text, string source = "data")
    {
        ArgumentNullException.ThrowIfNull(text);
        var reader = new Reader(text, source);
        reader.SkipTrivia(newlines: true);
        if (!reader.At("@{"))
        {
            throw reader.Error("a data file must hold one hashtable, @{ ... }");
        }
        object? value = reader.ReadValue();
        reader.SkipTrivia(newlines: true);
        if (!reader.End)
        {
            throw reader.Error("nothing may follow the data file's hashtable");
        }
        return (Dictionary<string, object?>)value!;
    }

    private sealed class Reader
    {
        private const int MaxDepth = 64;
        private readonly string _text;
        private readonly string _source;
        private int _pos;
        private int _depth;

        public Reader(string text, string source)
        {
            _text = text;
            _source = source;
        }

        public bool End => _pos >= _text.Length;

        private char Current => _pos < _text.Length ? _text[_pos] : '\0';

        private char Peek(int ahead) => _pos + ahead < _text.Length ? _text[_pos + ahead] : '\0';

        public bool At(string s) => string.CompareOrdinal(_text, _pos, s, 0, s.Length) == 0;

        public int LineHere()
        {
            int line = 1;
            for (int i = _lineScanned; i < _pos && i < _text.Length; i++)
            {
                if (_text[i] == '\n')
                {
                    _lineCount++;
                }
            }
            _lineScanned = Math.Max(_lineScanned, _pos);
            line += _lineCount;
            return line;
        }

        private int _lineScanned, _lineCount;

        public FormatException Error(string what)
        {
            int line = 1, column = 1;
            for (int i = 0; i < _pos && i < _text.Length; i++)
            {
                if (_text[i] == '\n')
                {
                    line++;
                    column = 1;
                }
                else
                {
                    column++;
                }
            }
            return new FormatException($"{_source}:{line}:{column}: {what}.");
        }

        /// <summary>Skips spaces, comments and (when allowed) line breaks.</summary>
        public void SkipTrivia(bool newlines)
        {
            while (!End)
            {
                char c = Current;
                if (c is ' ' or '\t' or '\f' or '\uFEFF' || (c is '\r' or '\n' && newlines))
                {
                    _pos++;
                }
                else if (c == '`' && Peek(1) is '\r' or '\n')
                {
                    _pos += Peek(1) == '\r' && Peek(2) == '\n' ? 3 : 2; // a line continuation
                }
                else if (c == '#')
                {
                    while (!End && Current != '\n')
                    {
                        _pos++;
                    }
                }
                else if (c == '<' && Peek(1) == '#')
                {
                    int close = _text.IndexOf("#>", _pos + 2, StringComparison.Ordinal);
                    if (close < 0)
                    {
                        throw Error("a block comment <# is not closed with #>");
                    }
                    _pos = close + 2;
                }
                else
                {
                    return;
                }
            }
        }

        /// <summary>A value, or a comma list of values (which is an array).</summary>
        public object? ReadValue()
        {
            object? first = ReadSingle();
            SkipTrivia(newlines: false);
            if (Current != ',')
            {
                return first;
            }
            var list = new List<object?> { first };
            while (Current == ',')
            {
                _pos++;
                SkipTrivia(newlines: true);
                list.Add(ReadSingle());
                SkipTrivia(newlines: false);
            }
            return list;
        }

        private object? ReadSingle()
        {
            SkipTrivia(newlines: false);
            if (End)
            {
                throw Error("a value is missing at the end of the file");
            }
            char c = Current;
            if (At("@{"))
            {
                return Nested(ReadHashtable);
            }
            if (At("@("))
            {
                return Nested(ReadArray);
            }
            if (At("@'") || At("@\""))
            {
                return ReadHereString();
            }
            if (c == '\'' || c is '\u2018' or '\u2019')
            {
                return ReadSingleQuoted();
            }
            if (c == '"' || c is '\u201C' or '\u201D')
            {
                return ReadDoubleQuoted();
            }
            if (c == '$')
            {
                return ReadConstant();
            }
            if (char.IsAsciiDigit(c) || ((c is '-' or '+' or '.') && (char.IsAsciiDigit(Peek(1)) || (Peek(1) == '.' && char.IsAsciiDigit(Peek(2))))))
            {
                return ReadNumber();
            }
            throw Error(c is '(' or '[' or '&' or '.' || char.IsLetter(c)
                ? $"'{Word()}' is code, not data: a data file holds only hashtables @{{}}, arrays @(), quoted strings, numbers and $true, $false, $null"
                : $"unexpected '{c}'");
        }

        private string Word()
        {
            int end = _pos;
            while (end < _text.Length && end - _pos < 40 && !char.IsWhiteSpace(_text[end]))
            {
                end++;
            }
            return _text[_pos..Math.Max(end, _pos + 1)];
        }

        private object? Nested(Func<object?> read)
        {
            if (++_depth > MaxDepth)
            {
                throw Error($"values are nested more than {MaxDepth} deep");
            }
            object? value = read();
            _depth--;
            return value;
        }

        private object? ReadHashtable()
        {
            var lines = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase) { [""] = LineHere() };
            _pos += 2;
            var table = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
            Lines.AddOrUpdate(table, lines);
            while (true)
            {
                SkipTrivia(newlines: true);
                while (Current == ';')
                {
                    _pos++;
                    SkipTrivia(newlines: true);
                }
                if (End)
                {
                    throw Error("a hashtable @{ is not closed with }");
                }
                if (Current == '}')
                {
                    _pos++;
                    return table;
                }
                int keyAt = _pos;
                int keyLine = LineHere();
                string key = ReadKey();
                lines.TryAdd(key, keyLine);
                SkipTrivia(newlines: false);
                if (Current != '=')
                {
                    throw Error($"'=' must follow the key '{key}'");
                }
                _pos++;
                SkipTrivia(newlines: true);
                object? value = ReadValue();
                if (!table.TryAdd(key, value))
                {
                    _pos = keyAt;
                    throw Error($"the key '{key}' appears twice in one hashtable");
                }
                SkipTrivia(newlines: false);
                if (Current is not (';' or '\r' or '\n' or '}' or '#') && !End && !At("<#"))
                {
                    throw Error($"after the value of '{key}' comes a line break, ';' or '}}'");
                }
            }
        }

        private string ReadKey()
        {
            char c = Current;
            if (c is '\'' or '\u2018' or '\u2019')
            {
                return ReadSingleQuoted();
            }
            if (c == '"')
            {
                return ReadDoubleQuoted();
            }
            int start = _pos;
            while (!End && (char.IsLetterOrDigit(Current) || Current is '_' or '-' or '.'))
            {
                _pos++;
            }
            if (_pos == start)
            {
                throw Error($"a hashtable key is missing before '{c}'");
            }
            return _text[start.._pos];
        }

        private object? ReadArray()
        {
            _pos += 2;
            var list = new List<object?>();
            while (true)
            {
                SkipTrivia(newlines: true);
                while (Current is ';' or ',')
                {
                    _pos++;
                    SkipTrivia(newlines: true);
                }
                if (End)
                {
                    throw Error("an array @( is not closed with )");
                }
                if (Current == ')')
                {
                    _pos++;
                    return list;
                }
                object? value = ReadValue();
                if (value is List<object?> items)
                {
                    list.AddRange(items); // @( ) unrolls what its statements give, as PowerShell does
                }
                else
                {
                    list.Add(value);
                }
            }
        }

        private string ReadSingleQuoted()
        {
            _pos++;
            var sb = new StringBuilder();
            while (true)
            {
                if (End)
                {
                    throw Error("a single-quoted string is not closed");
                }
                char c = Current;
                if (c is '\'' or '\u2018' or '\u2019' or '\u201A' or '\u201B')
                {
                    if (Peek(1) is '\'' or '\u2018' or '\u2019' or '\u201A' or '\u201B')
                    {
                        sb.Append(c);
                        _pos += 2;
                        continue;
                    }
                    _pos++;
                    return sb.ToString();
                }
                sb.Append(c);
                _pos++;
            }
        }

        private string ReadDoubleQuoted()
        {
            _pos++;
            var sb = new StringBuilder();
            while (true)
            {
                if (End)
                {
                    throw Error("a double-quoted string is not closed");
                }
                char c = Current;
                if (c is '"' or '\u201C' or '\u201D' or '\u201E')
                {
                    if (Peek(1) is '"' or '\u201C' or '\u201D' or '\u201E')
                    {
                        sb.Append('"');
                        _pos += 2;
                        continue;
                    }
                    _pos++;
                    return sb.ToString();
                }
                AppendDoubleQuotedChar(sb);
            }
        }

        private void AppendDoubleQuotedChar(StringBuilder sb)
        {
            char c = Current;
            if (c == '`')
            {
                char e = Peek(1);
                if (e == '\0')
                {
                    throw Error("a string ends with a lone backtick");
                }
                sb.Append(e switch
                {
                    '0' => '\0',
                    'a' => '\a',
                    'b' => '\b',
                    'e' => '\u001B',
                    'f' => '\f',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'v' => '\v',
                    _ => e,
                });
                _pos += 2;
                return;
            }
            if (c == '$' && (char.IsLetter(Peek(1)) || Peek(1) is '_' or '(' or '{' or ':' or '?' or '^' or '$'))
            {
                throw Error("a double-quoted string would expand a variable or an expression; use single quotes, or escape the $ as `$");
            }
            sb.Append(c);
            _pos++;
        }

        private string ReadHereString()
        {
            bool single = Peek(1) == '\'';
            _pos += 2;
            SkipTrivia(newlines: false);
            if (Current == '\r')
            {
                _pos++;
            }
            if (Current != '\n')
            {
                throw Error("a here-string's opening @' or @\" must end its line");
            }
            _pos++;
            string close = single ? "'@" : "\"@";
            var sb = new StringBuilder();
            while (true)
            {
                if (End)
                {
                    throw Error($"a here-string is not closed with {close} at the start of a line");
                }
                bool lineStart = _pos > 0 && _text[_pos - 1] == '\n';
                if (lineStart && At(close))
                {
                    _pos += 2;
                    string value = sb.ToString();
                    if (value.EndsWith('\n'))
                    {
                        value = value[..^(value.EndsWith("\r\n", StringComparison.Ordinal) ? 2 : 1)];
                    }
                    return value;
                }
                if (single)
                {
                    sb.Append(Current);
                    _pos++;
                }
                else
                {
                    AppendDoubleQuotedChar(sb);
                }
            }
        }

        private object? ReadConstant()
        {
            int start = _pos;
            _pos++;
            while (!End && (char.IsLetterOrDigit(Current) || Current == '_'))
            {
                _pos++;
            }
            string name = _text[(start + 1).._pos];
            if (name.Equals("true", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
            if (name.Equals("false", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
            if (name.Equals("null", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }
            _pos = start;
            throw Error($"the variable '${name}' is not data: only $true, $false and $null may appear in a data file");
        }

        private object ReadNumber()
        {
            int start = _pos;
            if (Current is '-' or '+')
            {
                _pos++;
            }
            bool hex = Current == '0' && Peek(1) is 'x' or 'X';
            if (hex)
            {
                _pos += 2;
            }
            while (!End && (char.IsAsciiDigit(Current) || (hex && char.IsAsciiHexDigit(Current)) || (!hex && Current is '.' or 'e' or 'E')
                || (!hex && Current is '-' or '+' && _text[_pos - 1] is 'e' or 'E')))
            {
                _pos++;
            }
            string digits = _text[start.._pos];
            long multiplier = 1;
            int suffixAt = _pos;
            while (!End && char.IsAsciiLetter(Current))
            {
                _pos++;
            }
            string suffix = _text[suffixAt.._pos].ToUpperInvariant();
            multiplier = suffix switch
            {
                "" or "L" => 1,
                "KB" => 1L << 10,
                "MB" => 1L << 20,
                "GB" => 1L << 30,
                "TB" => 1L << 40,
                "PB" => 1L << 50,
                _ => throw Error($"'{digits}{suffix}' is not a number (the multipliers are KB, MB, GB, TB and PB)"),
            };
            try
            {
                if (hex)
                {
                    bool negative = digits.StartsWith('-');
                    long h = long.Parse(digits.TrimStart('-', '+')[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
                    return checked((negative ? -h : h) * multiplier);
                }
                if (long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long whole))
                {
                    return checked(whole * multiplier);
                }
                double d = double.Parse(digits, NumberStyles.Float, CultureInfo.InvariantCulture);
                if (double.IsInfinity(d))
                {
                    throw new OverflowException();
                }
                return d * multiplier;
            }
            catch (Exception ex) when (ex is FormatException or OverflowException)
            {
                _pos = start;
                throw Error($"'{digits}{suffix}' is not a number this file can hold");
            }
        }
    }
}
