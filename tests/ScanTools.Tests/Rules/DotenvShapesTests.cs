using System.Text;
using ScanTools.Platform;
using ScanTools.Rules;
using ScanTools.Scanning;

namespace ScanTools.Tests.Rules;

/// <summary>
/// dotenv-password against the lines of dotenv files a newcomer planted (newcomer test 83): generated passwords that
/// connection-string-password took for code, each of which must be one finding with its secret, by this rule alone; and
/// references, placeholders and keys that only contain PASS, none of which may be a finding. The values are made-up.
/// </summary>
public sealed class DotenvShapesTests
{
    private static List<RuleMatch> Evaluate(string line, string name = ".env")
    {
        byte[] content = Encoding.UTF8.GetBytes("# settings\n" + line + "\nLAST=1\n");
        var stat = new EntryStat { Kind = EntryKind.File, Length = content.Length, UnixMode = 0x81A4, LastWriteTicksUtc = DateTime.UtcNow.Ticks };
        var evaluator = new RuleEvaluator(RuleSet.Builtin, RuleSet.DefaultContentSizeLimit, DateTime.UtcNow, new RuleStatistics());
        var problems = new List<ScanError>();
        List<RuleMatch> found = evaluator.Evaluate("/srv/app/" + name, name, stat, content, true, problems) ?? new List<RuleMatch>();
        Assert.Empty(problems);
        return found;
    }

    public static readonly TheoryData<string, string> Found = new()
    {
        { "SMTP_PASS=blue-elephant", "blue-elephant" },
        { "DB_PASS=correct.horse.battery.staple", "correct.horse.battery.staple" },
        { "DB2_PASS=Xy;9#kLm2Qw", "Xy;9#kLm2Qw" },
        { "DB3_PASS=/vB3kq9Zr+Tx7w", "/vB3kq9Zr+Tx7w" },
        { "DB8_PASS=Pa(ss)w0rd", "Pa(ss)w0rd" },
        { "DB11_PASS=<Gh7>kk99", "<Gh7>kk99" },
        { "DB_PASSWORD=Sh4pe.E01 # production", "Sh4pe.E01" },
        { "export REDIS_PASSWORD=\"with spaces and \\\"quotes\\\"\"", "with spaces and \\\"quotes\\\"" },
        { "MYSQL_ROOT_PASSWORD='Sh4pe E07 x'", "Sh4pe E07 x" },
        { "  PGPASSWORD = ShapeE02xyz", "ShapeE02xyz" },
        { "pass=ShapeE03xyz", "ShapeE03xyz" },
        { "ADMIN_PWD=ShapeE04xyz", "ShapeE04xyz" },
    };

    public static readonly TheoryData<string> NotFound = new()
    {
        "DB_PASSWORD=${DB_PASSWORD}",
        "DB_PASSWORD=$DB_PASSWORD",
        "DB_PASSWORD=",
        "DB_PASSWORD=changeme",
        "SMTP_PASS=<your smtp password>",
        "SMTP_PASS=\"<password>\"",
        "DB_PASS=***",
        "DB_PASS=xxxxxxxx",
        "BYPASS_CACHE=true-for-now",
        "COMPASS=northwest",
        "PASSWORD_FILE_NAME=abc", // the key does not end in PASSWORD
        "# DB_PASSWORD=ShapeE05xyz is only a comment",
    };

    [Theory]
    [MemberData(nameof(Found))]
    public void A_password_in_a_dotenv_file_is_found_whole_by_dotenv_password_alone(string line, string secret)
    {
        List<RuleMatch> found = Evaluate(line);
        RuleMatch m = Assert.Single(found);
        Assert.Equal("dotenv-password", m.RuleId);
        Assert.Equal(2, m.Line);
        Assert.Equal(RuleEvaluator.Fingerprint("dotenv-password", "/srv/app/.env", secret), m.Fingerprint);
    }

    [Theory]
    [MemberData(nameof(NotFound))]
    public void References_placeholders_and_other_keys_are_not_findings(string line)
    {
        Assert.Empty(Evaluate(line));
    }

    [Fact]
    public void Files_of_other_names_are_left_to_connection_string_password()
    {
        Assert.Equal(new[] { "dotenv-password" }, Evaluate("DB_PASSWORD=ShapeE06xyz", ".env.production").Select(m => m.RuleId));
        Assert.Equal(new[] { "connection-string-password" }, Evaluate("DB_PASSWORD=ShapeE06xyz", "app.env").Select(m => m.RuleId));
        Assert.Equal(new[] { "connection-string-password" }, Evaluate("DB_PASSWORD=ShapeE06xyz", "settings.conf").Select(m => m.RuleId));
    }
}
