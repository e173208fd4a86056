using System.Text;

namespace ScanTools.Tests.Rules;

/// <summary>
/// Secrets of the shapes the built-in rules look for, made of random characters at test time (no
/// real-looking credential sits in the repository), and near misses each rule must not match.
/// </summary>
public static class RuleSamples
{
    private const string Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private const string Base32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    private const string Alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private const string Base64 = Alnum + "+/";
    private const string Url64 = Alnum + "-_";
    private const string Hex = "0123456789abcdef";

    public static string Random(Random r, string alphabet, int length)
    {
        var sb = new StringBuilder(length);
        for (int i = 0; i < length; i++)
        {
            sb.Append(alphabet[r.Next(alphabet.Length)]);
        }
        return sb.ToString();
    }

    /// <summary>The file name a rule's sample must have (its rule looks only in files of that name), or null for any name.</summary>
    public static string? NameFor(string ruleId) => ruleId switch
    {
        "pgpass-password" => ".pgpass",
        "dotenv-password" => ".env",
        _ => null,
    };

    /// <summary><paramref name="path"/>, or a file of the name the rule needs in its folder (see <see cref="NameFor"/>).</summary>
    public static string PathFor(string ruleId, string path) =>
        NameFor(ruleId) is string name ? path[..(path.LastIndexOf('/') + 1)] + name : path;

    /// <summary>Rule id -> (a line holding a secret, the secret, a line that must not match).</summary>
    public static IReadOnlyDictionary<string, (string Line, string Secret, string NearMiss)> Make(Random r)
    {
        var d = new Dictionary<string, (string, string, string)>();
        void Add(string id, string prefix, string secret, string suffix, string nearMiss) => d[id] = (prefix + secret + suffix, secret, nearMiss);

        string key = string.Join("\n", Enumerable.Range(0, 3).Select(_ => Random(r, Base64, 64)));
        d["private-key"] = ($"-----BEGIN RSA PRIVATE KEY-----\n{key}\n-----END RSA PRIVATE KEY-----", key, $"-----BEGIN PUBLIC KEY-----\n{key}\n-----END PUBLIC KEY-----");
        string publicLines = Random(r, Base64, 64) + "\n" + Random(r, Base64, 4);
        string privateLines = Random(r, Base64, 64) + "\n" + Random(r, Base64, 20);
        string ppkHead = "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: ed25519-key-20260101\nPublic-Lines: 2\n" + publicLines + "\n";
        d["putty-private-key"] = (ppkHead + "Private-Lines: 2\n" + privateLines + "\nPrivate-MAC: " + Random(r, Hex, 64), privateLines, ppkHead); // near miss: the public half alone
        Add("kubeconfig-client-key", "    client-key-data: ", "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQo" + Random(r, Base64, 120), "",
            "    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg" + Random(r, Base64, 60)); // near miss: the certificate
        Add("aws-access-key-id", "aws_access_key_id = ", "AKIA" + Random(r, Base32, 16), "", "id = AKIA" + Random(r, Base32, 12));
        Add("aws-secret-access-key", "aws_secret_access_key = ", Random(r, Base64, 40), "", "aws_secret_access_key = " + new string('a', 40));
        Add("azure-storage-account-key", "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=", Random(r, Base64, 86) + "==", ";EndpointSuffix=core.windows.net", "AccountKey=" + Random(r, Base64, 20) + "==");
        Add("gcp-service-account-key", "  \"private_key_id\": \"", Random(r, Hex, 40), "\",", "  \"private_key_id\": \"" + Random(r, Hex, 12) + "\",");
        Add("github-token", "token: ", "ghp_" + Random(r, Alnum, 36), "", "token: ghp_" + Random(r, Alnum, 20));
        Add("github-fine-grained-token", "GH_TOKEN=", "github_pat_" + Random(r, Alnum + "_", 82), "", "GH_TOKEN=github_pat_" + Random(r, Alnum, 30));
        Add("gitlab-token", "private-token: ", "glpat-" + Random(r, Url64, 20), " ", "private-token: glpat-" + Random(r, Alnum, 10));
        Add("stripe-secret-key", "STRIPE_SECRET_KEY=", "sk_live_" + Random(r, Alnum, 24), "", "STRIPE_PUBLISHABLE_KEY=pk_live_" + Random(r, Alnum, 24));
        Add("slack-token", "SLACK_BOT_TOKEN=", "xoxb-" + Random(r, "0123456789", 11) + "-" + Random(r, Alnum, 24), "", "SLACK_BOT_TOKEN=xoxb-123");
        Add("slack-webhook-url", "url = https://hooks.slack.com/services/", "T" + Random(r, Upper, 8) + "/B" + Random(r, Upper, 8) + "/" + Random(r, Alnum, 24), "", "url = https://hooks.slack.com/services/");
        Add("docker-config-auth", "{\"auths\": {\"registry.example.com:5000\": {\"auth\": \"", Convert.ToBase64String(Encoding.UTF8.GetBytes("deploy:" + Random(r, Alnum, 20))), "\"}}}",
            "{\"auths\": {\"registry.example.com\": {\"auth\": \"\"}}, \"credsStore\": \"desktop\"}");
        Add("sendgrid-api-key", "SENDGRID_API_KEY=", "SG." + Random(r, Url64, 22) + "." + Random(r, Url64, 43), "", "msg.send(SG." + Random(r, Alnum, 10) + ")");
        Add("npm-access-token", "//registry.npmjs.org/:_authToken=", "npm_" + Random(r, Alnum, 36), "", "//registry.npmjs.org/:_authToken=npm_" + Random(r, Alnum, 20));
        Add("gcp-api-key", "GOOGLE_API_KEY=", "AIza" + Random(r, Url64, 35), "", "GOOGLE_API_KEY=AIza" + Random(r, Alnum, 20));
        Add("openai-api-key", "OPENAI_API_KEY=", "sk-proj-" + Random(r, Url64, 74) + "T3BlbkFJ" + Random(r, Url64, 74), "", "OPENAI_API_KEY=sk-proj-" + Random(r, Url64, 40));
        Add("anthropic-api-key", "ANTHROPIC_API_KEY=", "sk-ant-api03-" + Random(r, Url64, 93) + "AA", "", "ANTHROPIC_API_KEY=sk-ant-api03-" + Random(r, Url64, 40));
        Add("jwt", "Authorization: Bearer ", "eyJ" + Random(r, Url64, 20) + ".eyJ" + Random(r, Url64, 40) + "." + Random(r, Url64, 43), "", "Authorization: Bearer eyJhbGciOi");
        // The first character a letter or digit: the rule leaves out values that begin with '!' (a YAML tag, a negation) or
        // '%NAME%' (a variable), and the seed is the id's hash, which .NET changes from run to run, so 1 run in about 40 failed.
        Add("connection-string-password", "Server=db1;Database=app;User Id=sa;Password=", Random(r, Alnum, 1) + Random(r, Alnum + "!#%", 13), ";", "Server=db1;User Id=sa;Password=abc;");
        Add("convertto-securestring-plaintext", "$credential = ConvertTo-SecureString '", Random(r, Alnum, 1) + Random(r, Alnum + "!#%@", 13), "' -AsPlainText -Force", "$credential = ConvertTo-SecureString $env:SERVICE_PASSWORD -AsPlainText -Force");
        Add("url-password", "DATABASE_URL=postgres://admin:", Random(r, Alnum, 16), "@db.example.com:5432/app", "HOMEPAGE=https://example.com/user/admin");
        // Placed by name (.pgpass); the near miss is a comment line of the same shape.
        Add("pgpass-password", "db1.example.com:5432:*:app_user:", Random(r, Alnum, 1) + Random(r, Alnum + "!#%@", 13), "", "# db1.example.com:5432:*:app_user:" + Random(r, Alnum, 14));
        // A generated password with the characters code heuristics stop at; the near miss is a reference.
        Add("dotenv-password", "SMTP_PASS=", Random(r, Alnum, 1) + Random(r, Alnum + ";/()#.-", 15), "", "SMTP_PASS=${SMTP_PASS}");
        return d;
    }
}
