using System.Text;
using ScanTools.Platform;
using ScanTools.Rules;
using ScanTools.Scanning;

namespace ScanTools.Tests.Rules;

/// <summary>Each rule against samples, places, redaction, entropy, binary and timeouts, with no catalog.</summary>
public sealed class RuleEvaluatorTests
{
    private static readonly DateTime Now = DateTime.UtcNow;

    private static EntryStat Stat(long length, int mode = 0x81A4 /* -rw-r--r-- */, DateTime? written = null, uint uid = 1000) => new()
    {
        Kind = EntryKind.File,
        Length = length,
        UnixMode = mode,
        LastWriteTicksUtc = (written ?? Now).Ticks,
        UserId = uid,
    };

    private static (List<RuleMatch> Matches, List<ScanError> Problems) Evaluate(RuleSet set, string path, byte[] content, EntryStat? stat = null, long limit = RuleSet.DefaultContentSizeLimit)
    {
        var evaluator = new RuleEvaluator(set, limit, Now, new RuleStatistics());
        var problems = new List<ScanError>();
        EntryStat s = stat ?? Stat(content.Length);
        int capture = evaluator.CaptureLimit(path, Path.GetFileName(path), s);
        byte[] read = content.AsSpan(0, Math.Min(content.Length, capture)).ToArray();
        List<RuleMatch>? m = evaluator.Evaluate(path, Path.GetFileName(path), s, read, read.Length == content.Length, problems);
        return (m ?? new List<RuleMatch>(), problems);
    }

    public static TheoryData<string> ContentRuleIds()
    {
        var data = new TheoryData<string>();
        foreach (ScanRule r in RuleSet.Builtin.Rules.Where(r => r.IsContentRule))
        {
            data.Add(r.Id);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ContentRuleIds))]
    public void Every_builtin_content_rule_finds_its_sample_and_not_its_near_miss(string ruleId)
    {
        var samples = RuleSamples.Make(new Random(ruleId.GetHashCode(StringComparison.Ordinal)));
        Assert.True(samples.ContainsKey(ruleId), $"Built-in rule '{ruleId}' has no sample in RuleSamples: add a positive and a negative one.");
        (string line, string secret, string nearMiss) = samples[ruleId];
        RuleSet only = RuleSet.Builtin.Select(new[] { ruleId });

        string text = "first line\n" + line + "\nlast line\n";
        string path = RuleSamples.PathFor(ruleId, "/data/app/settings.conf");
        var (matches, problems) = Evaluate(only, path, Encoding.UTF8.GetBytes(text));
        Assert.Empty(problems);
        // The seed is the id's hash, which .NET changes from run to run: the line is named, to reproduce a failure.
        Assert.True(matches.Count == 1, $"Rule '{ruleId}' found {matches.Count} matches in its sample line, not 1: {line}");
        RuleMatch m = matches[0];
        Assert.Equal(ruleId, m.RuleId);
        Assert.Equal(2, m.Line);
        Assert.DoesNotContain(secret, m.Excerpt!, StringComparison.Ordinal);
        Assert.Equal(RuleEvaluator.Fingerprint(ruleId, path, secret), m.Fingerprint);

        var (none, _) = Evaluate(only, path, Encoding.UTF8.GetBytes("first line\n" + nearMiss + "\n"));
        Assert.Empty(none);
    }

    [Fact]
    public void Matches_have_the_line_and_column_where_the_secret_was_planted()
    {
        var r = new Random(11);
        var samples = RuleSamples.Make(r);
        var sb = new StringBuilder();
        var expected = new List<(string Rule, int Line, int Column)>();
        int lineNo = 0;
        // One line each (the line count below adds 1 a sample), and rules that look in a file of any name.
        foreach (var (id, (line, _, _)) in samples.Where(s => !s.Value.Line.Contains('\n', StringComparison.Ordinal) && RuleSamples.NameFor(s.Key) is null))
        {
            for (int filler = r.Next(0, 4); filler > 0; filler--)
            {
                sb.Append(RuleSamples.Random(r, "abcdefgh ", r.Next(0, 60))).Append('\n');
                lineNo++;
            }
            string indent = new(' ', r.Next(0, 9));
            sb.Append(indent).Append(line).Append('\n');
            lineNo++;
            expected.Add((id, lineNo, indent.Length + 1));
        }
        var (matches, _) = Evaluate(RuleSet.Builtin, "/srv/x.env", Encoding.UTF8.GetBytes(sb.ToString()));
        foreach (var (rule, line, _) in expected)
        {
            Assert.Contains(matches, m => m.RuleId == rule && m.Line == line);
        }
        // Columns: for rules whose match starts at the planted text, the column is where it was planted.
        foreach (var (rule, line, column) in expected.Where(e => e.Rule is "github-token" or "aws-access-key-id" or "jwt" or "gitlab-token"))
        {
            RuleMatch m = matches.Single(x => x.RuleId == rule && x.Line == line);
            string planted = sb.ToString().Split('\n')[line - 1];
            Assert.Equal(planted.IndexOf(samples[rule].Secret, StringComparison.Ordinal) + 1, m.Column);
        }
    }

    [Fact]
    public void A_finding_is_placed_on_its_own_line_even_when_the_pattern_begins_with_the_line_break_before_it()
    {
        // connection-string-password begins with (?:^|[^a-z0-9]): at the start of a line it takes the '\n' before it.
        string text = "first line\nDB_PASSWORD=xyz12345\n  Password=\"Quoted Pass 123\";\n";
        var (matches, _) = Evaluate(RuleSet.Builtin, "/srv/app.env", Encoding.UTF8.GetBytes(text));
        RuleMatch[] found = matches.Where(m => m.RuleId == "connection-string-password").OrderBy(m => m.Line).ToArray();
        Assert.Equal(2, found.Length);
        Assert.Equal((2, 1), (found[0].Line!.Value, found[0].Column!.Value)); // at the key
        Assert.Equal((3, 3), (found[1].Line!.Value, found[1].Column!.Value));
    }

    /// <summary>
    /// Padding a newcomer put before a real secret: the patterns were tried from every position inside it, each try
    /// running to its end, so 100 KB took quadratic time, the 1 s limit stopped the rule (RuleFailed) and the secret
    /// went unreported. The rules must find it, whatever the padding.
    /// </summary>
    [Theory]
    [InlineData("connection-string-password", "a_", 51_200, "\nPassword=RealSecretPass99\n", "RealSecretPass99")]
    [InlineData("connection-string-password", "db_", 40_000, "password=RealSecretPass99\n", "RealSecretPass99")]
    [InlineData("connection-string-password", "\"password\":", 30_000, "\n\"password\": \"RealSecretPass99\"\n", "RealSecretPass99")]
    [InlineData("connection-string-password", "key=\"a.b.password\" value=", 10_000, "\n<add key=\"password\" value=\"RealSecretPass99\"/>\n", "RealSecretPass99")]
    [InlineData("connection-string-password", "password: a.", 20_000, "\npassword: RealSecretPass99\n", "RealSecretPass99")]
    [InlineData("connection-string-password", "pwd=$", 40_000, "\npwd=RealSecretPass99\n", "RealSecretPass99")]
    [InlineData("jwt", "-eyJ", 250_000, " eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c\n", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")]
    public void Padding_before_a_secret_does_not_hide_it(string rule, string pad, int times, string tail, string secret)
    {
        string text = string.Concat(Enumerable.Repeat(pad, times)) + tail;
        var (matches, problems) = Evaluate(RuleSet.Builtin.Select(new[] { rule }), "/srv/app/padded.txt", Encoding.UTF8.GetBytes(text));
        Assert.Empty(problems);
        Assert.Contains(matches, m => m.Fingerprint == RuleEvaluator.Fingerprint(rule, "/srv/app/padded.txt", secret));
    }

    [Theory]
    [InlineData("connection-string-password", "pwd=samefake1;\n", 1_100, "Password=R3alS3cretPass;\n", "R3alS3cretPass")]
    [InlineData("jwt", "t=eyJhbGciOiJub25lIn0.eyJzdWIiOiJmYWtlZmFrZSJ9.ZmFrZWZha2VmYWtl\n", 1_100, "real=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c\n", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")]
    [InlineData("putty-private-key", "PuTTY-User-Key-File-3: ssh-rsa\nEncryption: none\nComment: x\n", 20_000, "PuTTY-User-Key-File-2: ssh-rsa\r\nEncryption: none\r\nComment: k\r\nPublic-Lines: 1\r\nAAAAB3NzaC1yc2E\r\nPrivate-Lines: 2\r\nQUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo\r\nYWJjZGVm\r\nPrivate-MAC: 00\r\n", "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo\r\nYWJjZGVm")]
    [InlineData("private-key", "-----BEGIN RSA PRIVATE KEY-----\n", 1, "\n\n\n\n\n\n\n\n\n\n", null)]
    public void Repeats_of_one_fake_secret_and_blank_padding_do_not_hide_a_real_one(string rule, string pad, int times, string tail, string? secret)
    {
        string body = string.Join("\n", Enumerable.Range(0, 10).Select(i => new string((char)('A' + i), 64)));
        string text = rule == "private-key"
            ? pad + new string('\n', 10_000) + "-----BEGIN RSA PRIVATE KEY-----\n" + body + "\n" + tail + "-----END RSA PRIVATE KEY-----\n" // a header, 10,000 blank lines, then a whole key
            : string.Concat(Enumerable.Repeat(pad, times)) + tail;
        var (matches, problems) = Evaluate(RuleSet.Builtin.Select(new[] { rule }), "/srv/app/repeats.txt", Encoding.UTF8.GetBytes(text));
        Assert.Empty(problems);
        Assert.Contains(matches, m => m.Fingerprint == RuleEvaluator.Fingerprint(rule, "/srv/app/repeats.txt", secret ?? body));
    }

    [Fact]
    public void A_property_rule_of_names_or_paths_only_says_what_it_saw()
    {
        RuleSet set = new(RuleSet.Parse("@{ Rules = @( @{ Id = 'ssh-key-file'; Name = 'id_rsa', 'id_ed25519' }; @{ Id = 'in-secrets'; Path = '/srv/secrets/*' } ) }", "t.psd1"));

        var (byName, _) = Evaluate(set.Select(new[] { "ssh-key-file" }), "/home/ann/.ssh/id_ed25519", Encoding.UTF8.GetBytes("x"));
        var (byPath, _) = Evaluate(set.Select(new[] { "in-secrets" }), "/srv/secrets/db.txt", Encoding.UTF8.GetBytes("x"));

        Assert.Equal("name id_ed25519", Assert.Single(byName).Excerpt); // it said "path"
        Assert.Equal("path matches the rule's Path", Assert.Single(byPath).Excerpt);
    }

    /// <summary>The ways scripts hand a literal to ConvertTo-SecureString -AsPlainText, and the ways that hold no secret.</summary>
    [Theory]
    [InlineData("$c = ConvertTo-SecureString 'Abc123xyz!' -AsPlainText -Force", "Abc123xyz!")]
    [InlineData("$c = ConvertTo-SecureString -AsPlainText -Force -String \"S3cr3tValue\"", "S3cr3tValue")]
    [InlineData("$c = ConvertTo-SecureString -Force -AsPlainText 'Tw0Switches'", "Tw0Switches")]
    [InlineData("'PipeSecret9' | ConvertTo-SecureString -AsPlainText -Force", "PipeSecret9")]
    [InlineData("$p = convertto-securestring \"Lower9case\" -asplaintext -force", "Lower9case")]
    [InlineData("New-Object PSCredential('svc', (ConvertTo-SecureString -String 'Nested#42' -AsPlainText -Force))", "Nested#42")]
    [InlineData("ConvertTo-SecureString 'It''sMyS3cret!' -AsPlainText", "It''sMyS3cret!")] // a doubled quote inside the literal
    [InlineData("ConvertTo-SecureString 'Abbrev1234' -AsPlain", "Abbrev1234")]
    [InlineData("ConvertTo-SecureString -a -f 'Short4Abbrev'", "Short4Abbrev")] // -a and -f: the shortest prefixes PowerShell takes
    [InlineData("ConvertTo-SecureString $env:PASS -AsPlainText -Force", null)]
    [InlineData("ConvertTo-SecureString \"$pw\" -AsPlainText -Force", null)]
    [InlineData("ConvertTo-SecureString '01000000d08c9ddf0115d1118c7a00c04fc297eb' -Key $key", null)] // an encrypted standard string
    [InlineData("'PipedEncrypted1' | ConvertTo-SecureString -Key $k", null)]
    [InlineData("ConvertTo-SecureString 'changeme' -AsPlainText -Force", null)]
    [InlineData("ConvertTo-SecureString '<password>' -AsPlainText -Force", null)]
    [InlineData("ConvertTo-SecureString 'ReplaceMe' -AsPlainText -Force", null)]
    [InlineData("ConvertTo-SecureString 'Abc123xyz!'\n-AsPlainText -Force", null)] // -AsPlainText on another line: not this command's
    [InlineData("$c = ConvertTo-SecureString 'Tick1Line!' `\n    -AsPlainText -Force", "Tick1Line!")] // continued with a backtick
    [InlineData("$c = ConvertTo-SecureString `\r\n    -String 'Tick2Lines' `\r\n    -AsPlainText `\r\n    -Force", "Tick2Lines")]
    [InlineData("$c = ConvertTo-SecureString -AsPlainText `\n  -Force `\n  'Tick3Lines'", "Tick3Lines")]
    [InlineData("ConvertTo-SecureString -AsPlainText:$true -Force:$true 'Colon4True'", "Colon4True")]
    [InlineData("ConvertTo-SecureString 'Colon5True' -AsPlainText:$true -Force", "Colon5True")]
    [InlineData("ConvertTo-SecureString 'NotPlain99' -AsPlainText:$false -Key $k", null)]
    [InlineData("ConvertTo-SecureString 'Abc123xyz!' # `\n-AsPlainText", null)] // a backtick in a comment continues nothing
    public void ConvertTo_SecureString_with_a_literal_and_AsPlainText_is_a_finding(string line, string? secret)
        => AssertOneFindingOrNone("convertto-securestring-plaintext", "/srv/deploy/deploy.ps1", line, secret);

    /// <summary>An AWS secret access key under the names AWS's own tools print it with.</summary>
    [Theory]
    [InlineData("\"SecretAccessKey\": \"q8VtZ3kLm9Pq2Wx7Yb4Nc6Rd1Fg5Hj0Kl8Mn3Bv7\",", "q8VtZ3kLm9Pq2Wx7Yb4Nc6Rd1Fg5Hj0Kl8Mn3Bv7")] // aws iam create-access-key
    [InlineData("SECRET_ACCESS_KEY=q8VtZ3kLm9Pq2Wx7Yb4Nc6Rd1Fg5Hj0Kl8Mn3Bv7", "q8VtZ3kLm9Pq2Wx7Yb4Nc6Rd1Fg5Hj0Kl8Mn3Bv7")]
    [InlineData("aws_secret_access_key = q8VtZ3kLm9Pq2Wx7Yb4Nc6Rd1Fg5Hj0Kl8Mn3Bv7", "q8VtZ3kLm9Pq2Wx7Yb4Nc6Rd1Fg5Hj0Kl8Mn3Bv7")]
    [InlineData("\"SecretAccessKey\": \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"", null)] // AWS's documentation key
    [InlineData("secret_access_key = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", null)] // no entropy
    public void An_AWS_secret_access_key_is_found_under_the_names_AWS_tools_print(string line, string? secret)
        => AssertOneFindingOrNone("aws-secret-access-key", "/home/ann/keys.json", line, secret);

    [Fact]
    public void A_literal_piped_to_ConvertTo_SecureString_on_the_next_line_is_a_finding_at_the_command()
    {
        // A pipe ends a line without a backtick; the match begins at the command's name, as for every shape of this rule.
        const string path = "/srv/deploy/deploy.ps1";
        var (matches, problems) = Evaluate(RuleSet.Builtin.Select(new[] { "convertto-securestring-plaintext" }), path,
            Encoding.UTF8.GetBytes("# first line\n'Pipe2Line9' |\n    ConvertTo-SecureString -AsPlainText -Force\n"));
        Assert.Empty(problems);
        RuleMatch m = Assert.Single(matches);
        Assert.Equal(RuleEvaluator.Fingerprint("convertto-securestring-plaintext", path, "Pipe2Line9"), m.Fingerprint);
        Assert.Equal(3, m.Line);
    }

    private static void AssertOneFindingOrNone(string ruleId, string path, string line, string? secret)
    {
        var (matches, problems) = Evaluate(RuleSet.Builtin.Select(new[] { ruleId }), path, Encoding.UTF8.GetBytes("# first line\n" + line + "\n"));
        Assert.Empty(problems);
        if (secret is null)
        {
            Assert.Empty(matches);
            return;
        }
        RuleMatch m = Assert.Single(matches);
        Assert.Equal(RuleEvaluator.Fingerprint(ruleId, path, secret), m.Fingerprint);
        Assert.Equal(2, m.Line);
        Assert.DoesNotContain(secret, m.Excerpt!, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("db_password=\nusername=admin_account\n")]
    [InlineData("password=      \n   next line of text\n")]
    [InlineData("{\"Env\": [\"DB_PASSWORD=\\nDB_HOST=db01.internal\"]}\n")] // an escaped line break in JSON
    [InlineData("\"db_password=\\r\\nnext=foo12345\"\n")]
    [InlineData("    password = None\n    pwd = self.pwd\n")] // Python: code, not secrets (a newcomer scanned /usr/lib/python3)
    [InlineData("passwd = getpass.getpass('Password: ')\npassword = os.environ.get('DB_PASSWORD')\n")]
    [InlineData("def login(password: str, pwd: Optional[str] = None):\n  password: string;\n")]
    [InlineData("password: ${DB_PASSWORD}\nPOSTGRES_PASSWORD: \"${PG_PASS}\"\npassword='{{ vault_password }}'\npwd=$(pwd)\n")]
    [InlineData("PWD=/srv/app\npwd: ~/work\npassword=********\n")]
    [InlineData("if password == \"x\": pass\nstd::string password::value;\n")]
    [InlineData("passwd = passwd + 'anonymous@'\nwith self.open(member, pwd=pwd) as source:\nself.user, self.password = user, password\n")]
    [InlineData("self.password = credentials\n    - password: password to use\n$passwd = $context->digest();\n")]
    [InlineData("set PASSWORD=%DB_PASSWORD%\npassword = '%(password)s'\nuserid = passwd = acct = ''\npwd = (self.password.encode())\n")]
    [InlineData("PWD: '/Users/x'\n\"PWD\": \"/home/nodejs\"\n")]
    public void A_password_key_with_nothing_after_it_does_not_take_the_next_line(string text)
    {
        var (matches, _) = Evaluate(RuleSet.Builtin.Select(new[] { "connection-string-password" }), "/etc/app.ini", Encoding.UTF8.GetBytes(text));
        Assert.Empty(matches);
    }

    /// <summary>
    /// BEGIN blocks of 19,000 base64 characters without an END before a real key: the pattern is linear, but a flat
    /// 1 s limit stopped it before the key (a newcomer's finding: 9 MB on a loaded host; here 30 MB, which takes about
    /// 2 s on a quiet one). The limit grows with the text.
    /// </summary>
    [Fact]
    public void Megabytes_of_unterminated_key_blocks_do_not_hide_a_key_after_them()
    {
        string body = string.Join("\n", Enumerable.Range(0, 10).Select(i => new string((char)('A' + i), 64)));
        var rnd = new Random(7);
        const string base64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        string block = "-----BEGIN PRIVATE KEY-----\n" + new string(Enumerable.Range(0, 19_000).Select(_ => base64[rnd.Next(64)]).ToArray()) + "\n";
        string text = string.Concat(Enumerable.Repeat(block, 1_600)) + "-----BEGIN RSA PRIVATE KEY-----\n" + body + "\n-----END RSA PRIVATE KEY-----\n";
        var (matches, problems) = Evaluate(RuleSet.Builtin.Select(new[] { "private-key" }), "/srv/app/padded.pem", Encoding.UTF8.GetBytes(text), limit: 64L << 20);
        Assert.Empty(problems);
        Assert.Contains(matches, m => m.Fingerprint == RuleEvaluator.Fingerprint("private-key", "/srv/app/padded.pem", body));
    }

    [Fact]
    public void A_built_in_rule_stopped_by_its_limit_says_to_look_at_the_file_not_to_change_its_pattern()
    {
        RuleSet slow = RuleSet.Load(Array.Empty<string>(), includeBuiltin: true, matchTimeout: TimeSpan.FromTicks(1)).Select(new[] { "private-key" });
        string text = string.Concat(Enumerable.Repeat("-----BEGIN PRIVATE KEY-----\n" + new string('A', 5_000) + "\n", 50));
        var (_, problems) = Evaluate(slow, "/srv/app/slow.pem", Encoding.UTF8.GetBytes(text));
        ScanError problem = Assert.Single(problems);
        Assert.Contains("built-in rule", problem.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Simplify the rule's Pattern", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Key_headers_without_an_end_before_a_key_do_not_hide_it()
    {
        string body = string.Join("\n", Enumerable.Range(0, 10).Select(i => new string((char)('A' + i), 64)));
        string text = string.Concat(Enumerable.Repeat("-----BEGIN RSA PRIVATE KEY-----", 2000))
            + "\n-----BEGIN RSA PRIVATE KEY-----\n" + body + "\n-----END RSA PRIVATE KEY-----\n";
        var (matches, problems) = Evaluate(RuleSet.Builtin.Select(new[] { "private-key" }), "/srv/app/padded.pem", Encoding.UTF8.GetBytes(text));
        Assert.Empty(problems);
        Assert.Contains(matches, m => m.Fingerprint == RuleEvaluator.Fingerprint("private-key", "/srv/app/padded.pem", body));
    }

    [Theory]
    [InlineData("connection-string-password", "Server=x;Password=\"Quoted Pass 123\";", "Quoted Pass 123")]
    [InlineData("connection-string-password", "PASSWORD='hunter2hunter2'", "hunter2hunter2")]
    [InlineData("connection-string-password", "DB_PASSWORD=xyz12345", "xyz12345")]
    [InlineData("connection-string-password", "{ \"password\": \"Xk9#mQ2vLp7wR4\" }", "Xk9#mQ2vLp7wR4")] // appsettings.json
    [InlineData("connection-string-password", "    POSTGRES_PASSWORD: Zk9mQ2vLp7wR4q", "Zk9mQ2vLp7wR4q")] // docker-compose.yml
    [InlineData("connection-string-password", "  db_password: 'Yk9mQ2vLp7wR4e'", "Yk9mQ2vLp7wR4e")]
    [InlineData("connection-string-password", "<add key=\"Password\" value=\"Wk9mQ2vLp7wR4e\" />", "Wk9mQ2vLp7wR4e")] // app.config
    [InlineData("connection-string-password", "<add key=\"Smtp.Password\" value=\"Vk9mQ2vLp7wR4e\"/>", "Vk9mQ2vLp7wR4e")]
    [InlineData("connection-string-password", "password = \"hunter2hunter2\"", "hunter2hunter2")] // a secret written into code is still one
    [InlineData("connection-string-password", "password=$ecret1!", "$ecret1!")] // a '$' that is no variable reference
    [InlineData("connection-string-password", "Password=%Tk9mQ2v!;", "%Tk9mQ2v!")] // nor a '%' 
    [InlineData("connection-string-password", "spring.datasource.password: Tk9m.Q2vLp#7", "Tk9m.Q2vLp#7")]
    [InlineData("connection-string-password", "{\"Env\": \"HOST=x\\npassword=hunter2hunter2\\nport=5\"}", "hunter2hunter2")] // after and before an escaped line break in JSON
    [InlineData("connection-string-password", "{\"Env\": \"HOST=x\\r\\nPwd=Tab5ecret\\tnext\"}", "Tab5ecret")]
    [InlineData("connection-string-password", "<add connectionString=\"Server=x;Password=&quot;s3cr3t!!&quot;;\" />", "s3cr3t!!")]
    [InlineData("url-password", "DATABASE_URL=postgres://admin:Winter2024@TailOfSecret9@db.example.com/app", "Winter2024@TailOfSecret9")]
    [InlineData("private-key", "{\"key\": \"-----BEGIN RSA PRIVATE KEY-----\\nMIIEowIBAAKCAQEAx1y2z3abcdefghijklmnopqrstuvwx\\nABCDEFGHIJ\\n-----END RSA PRIVATE KEY-----\\n\"}", "MIIEowIBAAKCAQEAx1y2z3abcdefghijklmnopqrstuvwx\\nABCDEFGHIJ")]
    public void Secrets_in_the_shapes_found_in_the_field_are_whole_and_never_in_the_excerpt(string rule, string line, string secret)
    {
        var (matches, _) = Evaluate(RuleSet.Builtin.Select(new[] { rule }), "/etc/app.conf", Encoding.UTF8.GetBytes(line + "\n"));
        RuleMatch m = Assert.Single(matches);
        Assert.Equal(RuleEvaluator.Fingerprint(rule, "/etc/app.conf", secret), m.Fingerprint);
        Assert.DoesNotContain(secret[Math.Min(4, secret.Length / 4)..], m.Excerpt!, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("AKIAABCDEFGHIJKLMNOP", "AKIA…")]
    [InlineData("hunter22", "hu…")]
    [InlineData("abc", "…")]
    [InlineData("a\U0001F600bcdefgh", "a…")] // never half of an emoji (a surrogate pair): it showed as "a\uFFFD"
    public void Redaction_keeps_at_most_four_characters_and_a_quarter(string secret, string expected) =>
        Assert.Equal(expected, RuleEvaluator.Redact(secret));

    [Fact]
    public void An_excerpt_cut_at_120_characters_never_splits_a_surrogate_pair()
    {
        string text = new string('x', 118) + "\U0001F600" + new string('y', 20);
        string excerpt = RuleEvaluator.Excerpt(text, Array.Empty<string>());
        Assert.EndsWith("x…", excerpt, StringComparison.Ordinal);
        Assert.DoesNotContain(excerpt, c => char.IsSurrogate(c));
    }

    [Theory]
    [InlineData("url = https://ghp_zymMlopiWfqUyHRSIf8NFmAUNLnY5Yx0y3Rn:x-oauth-basic@github.com/o/r.git", "ghp_zymMlopiWfqUyHRSIf8NFmAUNLnY5Yx0y3Rn")]
    [InlineData("s3://AKIAJ5LVFF6UZCRA3NXF:Zq8sd7f6g5h4j3k2@bucket.example.com/x", "AKIAJ5LVFF6UZCRA3NXF")]
    public void A_token_in_a_urls_user_name_is_in_no_excerpt_of_any_rule(string line, string token)
    {
        // url-password's secret is the password; the user name before it is a token that other rules find. Every excerpt of
        // the file hides every secret found in it, and url-password's hides its user name (the group named redact) too.
        var (matches, _) = Evaluate(RuleSet.Builtin, "/srv/remote.txt", Encoding.UTF8.GetBytes(line + "\n"));
        Assert.Contains(matches, m => m.RuleId == "url-password");
        Assert.True(matches.Count >= 2, string.Join(", ", matches.Select(m => m.RuleId)));
        Assert.All(matches, m => Assert.DoesNotContain(token[4..], m.Excerpt!, StringComparison.Ordinal));
        RuleMatch url = matches.Single(m => m.RuleId == "url-password");
        Assert.Contains(RuleEvaluator.Redact(token), url.Excerpt!, StringComparison.Ordinal);
    }

    [Fact]
    public void A_user_name_no_other_rule_knows_is_hidden_in_url_passwords_excerpt_too()
    {
        var (matches, _) = Evaluate(RuleSet.Builtin.Select(new[] { "url-password" }), "/srv/x.env",
            Encoding.UTF8.GetBytes("REPO=https://deploy-7f3kq9z2:Tr0ub4dor-and-3@git.example.com/r\n"));
        RuleMatch m = Assert.Single(matches);
        Assert.DoesNotContain("7f3kq9z2", m.Excerpt!, StringComparison.Ordinal);
        Assert.DoesNotContain("Tr0ub4dor-and-3"[3..], m.Excerpt!, StringComparison.Ordinal);
        Assert.StartsWith("https://", m.Excerpt!, StringComparison.Ordinal);
        Assert.EndsWith("@git.example.com", m.Excerpt!, StringComparison.Ordinal);
    }

    [Fact]
    public void More_texts_to_hide_than_can_be_checked_leave_only_an_ellipsis()
    {
        Assert.Equal("…", RuleEvaluator.Excerpt("token=abcdefgh", new[] { "zzzzzzzz", string.Empty }));
        Assert.Equal("token=ab…", RuleEvaluator.Excerpt("token=abcdefgh", new[] { "abcdefgh", "cdef" }));
    }

    [Fact]
    public void Excerpt_is_one_line_without_the_secret_and_short()
    {
        string secret = new string('x', 500);
        string excerpt = RuleEvaluator.Excerpt("key:\n\t" + secret + " " + secret, secret);
        Assert.DoesNotContain(secret[..8], excerpt, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', excerpt);
        Assert.True(excerpt.Length <= 120);
    }

    [Fact]
    public void Entropy_gate_drops_low_entropy_secrets()
    {
        Assert.Equal(0, RuleEvaluator.Entropy("aaaa"));
        Assert.Equal(2, RuleEvaluator.Entropy("abcd"), 6);
        RuleSet only = RuleSet.Builtin.Select(new[] { "aws-secret-access-key" });
        var (matches, _) = Evaluate(only, "/x", Encoding.UTF8.GetBytes("aws_secret_access_key = " + new string('A', 20) + new string('B', 20)));
        Assert.Empty(matches);
    }

    [Fact]
    public void Binary_content_is_skipped_unless_the_rule_asks_and_counted()
    {
        string id = "AKIA" + RuleSamples.Random(new Random(3), "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16);
        byte[] content = Encoding.UTF8.GetBytes("\0\0binary " + id + " tail");
        var stats = new RuleStatistics();
        var evaluator = new RuleEvaluator(RuleSet.Builtin, RuleSet.DefaultContentSizeLimit, Now, stats);
        Assert.Null(evaluator.Evaluate("/b.bin", "b.bin", Stat(content.Length), content, true, new List<ScanError>()));
        Assert.Equal(1, stats.BinarySkipped);

        RuleSet own = new(RuleSet.Parse("@{ Rules = @( @{ Id = 'bin-key'; Pattern = 'AKIA[A-Z2-7]{16}'; IncludeBinary = $true } ) }", "t.psd1"));
        var (matches, _) = Evaluate(own, "/b.bin", content);
        Assert.Single(matches);
    }

    [Fact]
    public void Utf16_text_with_a_byte_order_mark_is_matched()
    {
        string token = "ghp_" + RuleSamples.Random(new Random(5), "abcdefghijklmnopqrstuvwxyz0123456789", 36);
        byte[] content = Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes("line\r\ntoken=" + token + "\r\n")).ToArray();
        var (matches, _) = Evaluate(RuleSet.Builtin.Select(new[] { "github-token" }), "/w.txt", content);
        RuleMatch m = Assert.Single(matches);
        Assert.Equal(2, m.Line);
        Assert.Equal(7, m.Column);
    }

    [Fact]
    public void Files_over_the_limit_are_not_read_and_are_counted()
    {
        var stats = new RuleStatistics();
        var evaluator = new RuleEvaluator(RuleSet.Builtin, 1000, Now, stats);
        Assert.Equal(0, evaluator.CaptureLimit("/big.txt", "big.txt", Stat(1001)));
        Assert.Equal(1, stats.OversizedSkipped);
        Assert.Equal(1000, evaluator.CaptureLimit("/small.txt", "small.txt", Stat(1000)));
    }

    [Theory]
    [InlineData("aws-access-key-id", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE")] // AWS's documentation key
    [InlineData("aws-access-key-id", "key: AKIAXXXXXXXXXXXXXXXX")]
    [InlineData("aws-secret-access-key", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")]
    [InlineData("github-token", "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")]
    [InlineData("gitlab-token", "private-token: glpat-xxxxxxxxxxxxxxxxxxxx")]                      // newcomer test 67
    [InlineData("gitlab-token", "private-token: glpat-AAAAAAAAAAAAAAAAAAAA")]
    [InlineData("slack-token", "SLACK_BOT_TOKEN=xoxb-not-a-real-token-this-will-not-work")]          // Slack's documentation
    [InlineData("slack-token", "SLACK_USER_TOKEN=xoxp-xxxxxxxxx-xxxx")]
    [InlineData("jwt", "Try eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c on jwt.io")]
    [InlineData("url-password", "mirror = ftp://anonymous:guest@ftp.example.org/pub")]
    [InlineData("azure-storage-account-key", "UseDevelopmentStorage: AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==")] // newcomer test 70
    [InlineData("slack-webhook-url", "url: https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX")]
    [InlineData("github-fine-grained-token", "GH_TOKEN=github_pat_XXXXXXXXXXXXXXXXXXXXXX_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX")]
    [InlineData("github-token", "GITHUB_TOKEN=ghp_1234567890abcdefghijklmnopqrstuvwxyz")]                       // newcomer test 74
    [InlineData("npm-access-token", "//registry.npmjs.org/:_authToken=npm_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")]
    [InlineData("gcp-api-key", "apiKey: AIzaXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX")]
    [InlineData("sendgrid-api-key", "SENDGRID_API_KEY=SG.xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")]
    public void Documentation_keys_and_placeholders_of_one_repeated_letter_are_not_secrets(string rule, string line)
    {
        var (matches, problems) = Evaluate(RuleSet.Builtin.Select(new[] { rule }), "/srv/README.md", Encoding.UTF8.GetBytes(line + "\n"));
        Assert.Empty(problems);
        Assert.Empty(matches);
    }

    [Theory]
    [InlineData("slack-token", "SLACK_USER_TOKEN=xoxp-2152123456-2152123457-2152123458-8f4c2b9e1a7d6c3b5e0f9a8d7c6b5a4e", "xoxp-2152123456")]
    [InlineData("jwt", "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.dGhpcy1pcy1hLWRpZmZlcmVudC1zaWduYXR1cmU", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9")]
    [InlineData("url-password", "db = postgres://anonymous_user:S3cr3tPassw0rd@db.example.com/app", "postgres://")]
    public void Real_looking_secrets_beside_the_placeholders_are_still_found(string rule, string line, string near)
    {
        var (matches, problems) = Evaluate(RuleSet.Builtin.Select(new[] { rule }), "/srv/app.env", Encoding.UTF8.GetBytes(line + "\n"));
        Assert.Empty(problems);
        Assert.Single(matches);
        Assert.Contains(near, line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_match_whose_secret_group_did_not_take_part_is_no_finding_and_hides_nothing_of_the_others()
    {
        // Newcomer tests 67 and 70: 'API_TOKEN=' alone was a finding, and the key was cut from the next line's excerpt.
        var set = new RuleSet(RuleSet.Parse("@{ Rules = @( @{ Id = 'opt'; Keywords = 'API_TOKEN'; Pattern = 'API_TOKEN=(?<secret>z+)?' } ) }", "t.psd1"));
        var (matches, problems) = Evaluate(set, "/srv/a.env", Encoding.UTF8.GetBytes("API_TOKEN=\nAPI_TOKEN=zzzzzz\n"));
        Assert.Empty(problems);
        RuleMatch m = Assert.Single(matches);
        Assert.Equal(2, m.Line);
        Assert.StartsWith("API_TOKEN=", m.Excerpt, StringComparison.Ordinal);
    }

    [Fact]
    public void A_private_key_with_a_body_longer_than_20000_characters_is_found()
    {
        // Newcomer test 70: an armored GPG keyring of 25 KB was missed, silently.
        string body = string.Join("\n", Enumerable.Range(0, 400).Select(i => Convert.ToBase64String(System.Security.Cryptography.SHA512.HashData(BitConverter.GetBytes(i)))[..64]));
        string key = "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n" + body + "\n=Ab12\n-----END PGP PRIVATE KEY BLOCK-----\n";
        Assert.True(body.Length > 20_000);
        var (matches, problems) = Evaluate(RuleSet.Builtin.Select(new[] { "private-key" }), "/home/u/secring.asc", Encoding.UTF8.GetBytes(key));
        Assert.Empty(problems);
        Assert.Single(matches);
    }

    [Fact]
    public void A_time_out_is_tried_again_once_so_a_busy_host_does_not_hide_a_secret()
    {
        // At a load of 30 on 2 cores, a 29-byte file ran into the 1 s limit and its secret was not reported.
        var evaluator = new RuleEvaluator(RuleSet.Builtin.Select(new[] { "connection-string-password" }), RuleSet.DefaultContentSizeLimit, Now, new RuleStatistics())
        {
            InjectedTimeouts = 1,
        };
        byte[] content = Encoding.UTF8.GetBytes("DB_PASSWORD=NoNewlineAtEnd_77");
        var problems = new List<ScanError>();

        List<RuleMatch>? matches = evaluator.Evaluate("/srv/nonl.env", "nonl.env", Stat(content.Length), content, true, problems);

        Assert.Empty(problems);
        RuleMatch m = Assert.Single(matches!);
        Assert.Equal("connection-string-password", m.RuleId);
        Assert.Equal(0, evaluator.InjectedTimeouts);
    }

    [Fact]
    public void A_rule_whose_second_try_also_runs_out_is_reported_and_not_tried_again_on_later_files()
    {
        RuleSet set = new(RuleSet.Parse("@{ Rules = @( @{ Id = 'evil'; Pattern = '(a+)+$' } ) }", "t.psd1", TimeSpan.FromMilliseconds(20)));
        var evaluator = new RuleEvaluator(set, RuleSet.DefaultContentSizeLimit, Now, new RuleStatistics());
        byte[] content = Encoding.UTF8.GetBytes(new string('a', 40_000) + "!");
        var first = new List<ScanError>();
        var second = new List<ScanError>();

        evaluator.Evaluate("/a.txt", "a.txt", Stat(content.Length), content, true, first);
        evaluator.Evaluate("/b.txt", "b.txt", Stat(content.Length), content, true, second);

        Assert.Contains("on a second try", Assert.Single(first).Message, StringComparison.Ordinal);
        Assert.Contains("0.16 s", first[0].Message, StringComparison.Ordinal); // 8 x 20 ms
        Assert.Contains("busy machine", first[0].Message, StringComparison.Ordinal);
        Assert.DoesNotContain("second try", Assert.Single(second).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rule_that_runs_out_of_time_on_three_files_is_applied_to_no_more_files_of_the_run_and_they_keep_their_findings()
    {
        // Newcomer test 74: '(a+)+b' cost about a second on every file it met, so a nightly scan of a million would not end.
        RuleSet set = new(RuleSet.Parse("""
            @{ Rules = @(
                @{ Id = 'evil'; Pattern = '(a+)+$' }
                @{ Id = 'plain'; Pattern = 'needle' }
            ) }
            """, "t.psd1", TimeSpan.FromMilliseconds(20)));
        var stats = new RuleStatistics();
        // Two workers of one run share the count, as the walker's threads do.
        var workers = new[] { new RuleEvaluator(set, RuleSet.DefaultContentSizeLimit, Now, stats), new RuleEvaluator(set, RuleSet.DefaultContentSizeLimit, Now, stats) };
        byte[] content = Encoding.UTF8.GetBytes(new string('a', 40_000) + "!\nneedle\n");
        var messages = new List<string>();
        for (int i = 0; i < RuleStatistics.TimeoutsBeforeDropped; i++)
        {
            var problems = new List<ScanError>();
            List<RuleMatch>? found = workers[i % 2].Evaluate($"/f{i}.txt", $"f{i}.txt", Stat(content.Length), content, true, problems);
            Assert.True(workers[i % 2].ContentSkipped || problems.Count > 0);
            messages.Add(Assert.Single(problems).Message);
            Assert.Contains(found!, m => m.RuleId == "plain");
        }
        Assert.DoesNotContain("applies it to no more files", messages[0], StringComparison.Ordinal);
        Assert.Contains("applies it to no more files", messages[^1], StringComparison.Ordinal);
        Assert.True(stats.IsDropped("evil"));

        var later = new List<ScanError>();
        List<RuleMatch>? next = workers[0].Evaluate("/later.txt", "later.txt", Stat(content.Length), content, true, later);
        Assert.Empty(later); // not run, so not reported file by file
        Assert.True(workers[0].ContentSkipped); // its findings in the file are kept, not resolved
        Assert.Contains(next!, m => m.RuleId == "plain"); // the other rules still run
        Assert.False(new RuleStatistics().IsDropped("evil")); // the next run tries it again
    }

    [Fact]
    public void A_pattern_that_backtracks_catastrophically_is_stopped_and_the_other_rules_still_run()
    {
        RuleSet set = new(RuleSet.Parse("""
            @{ Rules = @(
                @{ Id = 'evil'; Pattern = '(a+)+$' }
                @{ Id = 'plain'; Pattern = 'needle' }
            ) }
            """, "t.psd1", TimeSpan.FromMilliseconds(200)));
        byte[] content = Encoding.UTF8.GetBytes(new string('a', 40_000) + "!\nneedle\n");
        var (matches, problems) = Evaluate(set, "/hostile.txt", content);
        Assert.Contains(problems, p => p.Kind == ScanErrorKind.RuleFailed && p.Message.Contains("'evil'", StringComparison.Ordinal));
        Assert.Contains(matches, m => m.RuleId == "plain" && m.Line == 2);
    }

    [Fact]
    public void Property_rules_test_mode_bits_path_and_size()
    {
        RuleSet set = RuleSet.Builtin.Select(new[] { "world-writable-file", "setuid-file", "setgid-file", "executable-in-temp", "large-file" });
        string Ids(string path, EntryStat s) => string.Join(",", (Evaluate(set, path, Array.Empty<byte>(), s).Matches).Select(m => m.RuleId).OrderBy(x => x, StringComparer.Ordinal));
        Assert.Equal("", Ids("/home/u/a.txt", Stat(10, 0x81A4)));
        Assert.Equal("world-writable-file", Ids("/home/u/a.txt", Stat(10, 0x81B6)));       // 0666
        Assert.Equal("setuid-file", Ids("/usr/bin/x", Stat(10, 0x8000 | 0x800 | 0x1ED)));   // 4755
        Assert.Equal("setgid-file", Ids("/usr/bin/y", Stat(10, 0x8000 | 0x400 | 0x1ED)));   // 2755
        Assert.Equal("executable-in-temp", Ids("/tmp/dropper", Stat(10, 0x81ED)));           // 0755 in /tmp
        Assert.Equal("", Ids("/opt/tool", Stat(10, 0x81ED)));
        Assert.Equal("large-file", Ids("/data/disk.img", Stat((1L << 30) + 1)));
        Assert.Equal("", Ids("/data/disk.img", Stat(1L << 29)));
    }

    [Fact]
    public void Fingerprints_are_stable_and_differ_by_rule_path_and_secret()
    {
        string a = RuleEvaluator.Fingerprint("r", "/p", "s");
        Assert.Equal(a, RuleEvaluator.Fingerprint("r", "/p", "s"));
        Assert.Matches("^[0-9a-f]{32}$", a);
        Assert.NotEqual(a, RuleEvaluator.Fingerprint("r2", "/p", "s"));
        Assert.NotEqual(a, RuleEvaluator.Fingerprint("r", "/q", "s"));
        Assert.NotEqual(a, RuleEvaluator.Fingerprint("r", "/p", "t"));
        Assert.NotEqual(RuleEvaluator.Fingerprint("ab", "c", "d"), RuleEvaluator.Fingerprint("a", "bc", "d")); // parts cannot run into each other
    }

    [Theory]
    [InlineData("@{ Rules = @( @{ Id = 'x'; Pattern = '('} ) }", "not a valid .NET regular expression")]
    [InlineData("@{ Rules = @( @{ Id = 'x'; Patern = 'a' } ) }", "'Patern' is not a rule key")]
    [InlineData("@{ Rules = @( @{ Id = 'x'; Pattern = 'a'; Severity = 'Huge' } ) }", "Severity 'Huge'")]
    [InlineData("@{ Rules = @( @{ Id = 'x' } ) }", "sets no condition")]
    [InlineData("@{ Rules = @( @{ Id = 'x'; Pattern = 'a' }, @{ Id = 'X'; Pattern = 'b' } ) }", "two rules have the id")]
    [InlineData("@{ Rules = @( @{ Id = 'x'; Mode = 'Sticky' } ) }", "Mode 'Sticky'")]
    [InlineData("@{ Rules = @( @{ Id = 'x'; Keywords = 'k' } ) }", "apply to a content Pattern")]
    [InlineData("@{ Rules = @( @{ Id = 'x'; Pattern = 'a'; SecretGroup = 'nope' } ) }", "SecretGroup 'nope'")]
    [InlineData("@{ Rules = @( @{ Id = 'x'; Pattern = '(admin|user)=(\\S+)' } ) }", "2 capturing groups and none is named secret")]
    [InlineData("@{ Rules = @( @{ Id = 'x'; Pattern = 'a'; MaximumFileSize = -1 } ) }", "MaximumFileSize must be a whole number of bytes, 1 or more")] // it said 0, then refused 0
    [InlineData("@{ Rulez = @() }", "not a key of a rules file")]
    [InlineData("@{ Rules = @( @{ Id = 'has space'; Pattern = 'a' } ) }", "an Id has")]
    [InlineData("@{ Rules = @( @{ Id = 'x'; Path = '/tmp/[abc' } ) }", "wildcard is malformed")]
    [InlineData("@{ Rules = @( @{ Id = 'x'; Pattern = $null; Name = '*.txt' } ) }", "Pattern is $null")] // it became a property rule (newcomer test 74)
    [InlineData("@{ Rules = @( @{ Id = 'x'; Pattern = 'a'; Keywords = $null } ) }", "Keywords is $null")]
    [InlineData("@{ Rules = @( @{ Id = 'x'; Pattern = 'a'; IncludeBinary = $null } ) }", "IncludeBinary is $null")]
    [InlineData("@{ Rules = @( @{ Id = 'x'; Pattern = 'a'; MinimumEntropy = $null } ) }", "MinimumEntropy is $null")]
    [InlineData("@{ Rules = @( @{ Id = $null; Pattern = 'a' } ) }", "Id is $null. Give it a value.")] // not "or leave Id out": it is required
    public void Bad_rules_files_say_what_to_change(string text, string expected)
    {
        var ex = Assert.Throws<FormatException>(() => RuleSet.Parse(text, "mine.psd1"));
        Assert.Contains(expected, ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.StartsWith("mine.psd1", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("(?:admin|user)=(\\S+)")]                    // the one capturing group
    [InlineData("(admin|user)=(?<secret>\\S+)")]             // named
    [InlineData("(?<place>)(?:admin|user)=(\\S+)")]          // place is no candidate
    [InlineData("(?<redact>admin|user)=(\\S+)")]             // nor redact
    public void A_rule_whose_secret_group_is_clear_hides_the_secret_in_its_excerpt(string pattern)
    {
        // Newcomer test 67: '(admin|user)=(\S+)' took group 1, the key, for the secret, and stored the password in clear.
        const string secret = "Sup3rS3cretAdminPw";
        var set = new RuleSet(RuleSet.Parse($"@{{ Rules = @( @{{ Id = 'kv'; Pattern = '{pattern}' }} ) }}", "mine.psd1"));
        RuleMatch m = Assert.Single(Evaluate(set, "/srv/app.conf", System.Text.Encoding.UTF8.GetBytes($"admin={secret}\n")).Matches);
        Assert.DoesNotContain(secret[..6], m.Excerpt!, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rule_in_a_file_replaces_the_builtin_rule_of_its_id()
    {
        using var t = new Support.TempDirectory();
        string file = Path.Combine(t.Path, "mine.psd1");
        File.WriteAllText(file, "@{ Rules = @( @{ Id = 'jwt'; Severity = 'Low'; Pattern = 'never-matches-xyz' }, @{ Id = 'mine'; Name = '*.pem' } ) }");
        RuleSet set = RuleSet.Load(new[] { file });
        Assert.Equal(RuleSeverity.Low, set.Find("jwt")!.Severity);
        Assert.NotNull(set.Find("mine"));
        Assert.Equal(RuleSet.Builtin.Rules.Count + 1, set.Rules.Count);
        Assert.Throws<ArgumentException>(() => set.Select(new[] { "no-such-rule" }));
    }
}
