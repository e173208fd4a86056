# The rules that ship with ScanTools. Copy this file as a start for your own rules and pass it to
# Start-Scan -RulePath; a rule there replaces the built-in rule of the same Id.
#
# Keys of a rule (Get-Help about_ScanTools, "Rules"):
#   Id, Description, Severity (Info, Low, Medium, High, Critical)
#   Path, Name, ExcludePath     wildcards on the full path / the file name (any of several)
#   MinimumSize, MaximumSize    bytes (1MB, 1GB allowed)
#   Mode                        WorldWritable, SetUid, SetGid, Executable (any of several)
#   OlderThanDays, OwnerId      last write older than N days; owner's user id
#   Pattern                     a .NET regular expression run on the content (UTF-8 or UTF-16 text)
#   Keywords                    one must appear (case ignored) before Pattern runs: keep rules cheap
#   SecretGroup                 the group holding the secret (default: group 'secret', else 1)
#   MinimumEntropy              least Shannon entropy of the secret, bits per character
#   IncludeBinary, MaximumFileSize  read binary files / files larger than the scan's limit too
#
# Patterns follow the published rules of gitleaks (MIT) and the token formats their vendors document.
@{
    Rules = @(
        @{
            Id          = 'private-key'
            Description = 'A private key in PEM or OpenSSH form'
            Severity    = 'Critical'
            Keywords    = 'PRIVATE KEY'
            # The body stops at the next '-----' (its END, or another BEGIN): 60 KB of BEGIN lines without an END took each
            # 20,000 characters ahead, past the 1 s limit, and a real key after them went unreported. The blanks around
            # the body are taken whole (atomic groups): 10,000 newlines after a BEGIN line were handed back and forth
            # between them and the body's own white space until the limit. The body may run to 1 Mi characters: an armored
            # GPG keyring passes the 20,000 it was cut at (newcomer test 70), and each try still stops at the next '-----'.
            Pattern     = '-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----(?>(?:\s|\\n|\\r)*)(?<secret>(?:(?!-----)[A-Za-z0-9+/=:,\s\\-]){31,1048576}?[A-Za-z0-9+/=])(?>(?:\s|\\n|\\r)*)-----END'
        }
        @{
            Id          = 'kubeconfig-client-key'
            Description = 'A private key in a kubeconfig (client-key-data: a PEM key, base64-encoded)'
            Severity    = 'Critical'
            Keywords    = 'client-key-data'
            # LS0tLS1CRUdJTi is "-----BEGIN" in base64: a key, not a placeholder (client-key-data: REDACTED) nor the
            # certificate beside it (client-certificate-data). private-key cannot see it, encoded (newcomer test 67).
            Pattern     = 'client-key-data"?[ \t]*:[ \t]*["'']?(?<secret>LS0tLS1CRUdJTi[A-Za-z0-9+/=]{40,20000})'
        }
        @{
            Id          = 'putty-private-key'
            Description = 'A PuTTY private key file (.ppk), encrypted or not'
            Severity    = 'Critical'
            Keywords    = 'PuTTY-User-Key-File-'
            # The format PuTTY documents (puttygen, "PPK file format", versions 2 and 3): a header line, then Encryption,
            # Comment, Public-Lines and its lines (and, in version 3, the key derivation's lines), then Private-Lines: N
            # and the private key's base64 lines, which are the secret. The lines between header and Private-Lines stop at
            # another header, so a file of headers without a key costs one pass. Each private line is a whole line: the
            # Private-MAC line after them is not part of the key.
            Pattern     = 'PuTTY-User-Key-File-[23]: [^\r\n]{1,100}\r?\n(?:(?!PuTTY-User-Key-File-)[^\r\n]{0,1000}\r?\n){1,400}?Private-Lines: ?[0-9]{1,4}\r?\n(?<secret>[A-Za-z0-9+/=]{4,128}(?![^\r\n])(?:\r?\n[A-Za-z0-9+/=]{4,128}(?![^\r\n])){0,400})'
        }
        @{
            Id          = 'aws-access-key-id'
            Description = 'An AWS access key id'
            Severity    = 'High'
            Keywords    = 'AKIA', 'ASIA', 'ABIA', 'ACCA', 'A3T'
            # Not AWS's documentation key (AKIAIOSFODNN7EXAMPLE) or another ending in EXAMPLE, nor a placeholder of one
            # repeated letter (AKIAXXXXXXXXXXXXXXXX): a real id's 16 random characters are far above 3 bits each.
            Pattern     = '\b(?<secret>(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)(?![A-Z2-7]{0,9}EXAMPLE)[A-Z2-7]{16})\b'
            MinimumEntropy = 3.0
        }
        @{
            Id             = 'aws-secret-access-key'
            Description    = 'An AWS secret access key assigned to a setting'
            Severity       = 'Critical'
            Keywords       = 'aws', 'secretaccesskey', 'secret_access_key'
            # Also SecretAccessKey without 'aws' before it, as 'aws iam create-access-key' prints it, and SECRET_ACCESS_KEY.
            # Not AWS's documentation key (wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY) or another ending in EXAMPLEKEY.
            Pattern        = '(?i)(?:aws_?(?:secret)?_?(?:access)?_?key|secret_?access_?key)["'']?\s{0,5}[:=]\s{0,5}["'']?(?<secret>(?![A-Za-z0-9/+]{0,30}EXAMPLEKEY)[A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)'
            MinimumEntropy = 4.0
        }
        @{
            Id          = 'azure-storage-account-key'
            Description = 'An Azure storage account key in a connection string'
            Severity    = 'Critical'
            Keywords    = 'AccountKey'
            # Not the storage emulator's published key (Azurite, local.settings.json in countless repositories).
            Pattern     = '(?i)AccountKey\s*=\s*(?!Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==)(?<secret>[A-Za-z0-9+/]{86}==)'
        }
        @{
            Id          = 'gcp-service-account-key'
            Description = 'A Google Cloud service account key file'
            Severity    = 'Critical'
            Keywords    = 'private_key_id'
            Pattern     = '"private_key_id"\s*:\s*"(?<secret>[a-f0-9]{40})"'
        }
        @{
            Id          = 'github-token'
            Description = 'A GitHub personal access, OAuth, app or refresh token'
            Severity    = 'High'
            Keywords    = 'ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'
            Pattern     = '\b(?!gh[pousr]_(?:0123456789|1234567890)abcdefghij)(?<secret>gh[pousr]_[A-Za-z0-9]{36,255})\b'
            MinimumEntropy = 3.0 # not a placeholder of one repeated letter (ghp_xxxx...); nor the digits and alphabet in order
        }
        @{
            Id          = 'github-fine-grained-token'
            Description = 'A GitHub fine-grained personal access token'
            Severity    = 'High'
            Keywords    = 'github_pat_'
            Pattern     = '\b(?<secret>github_pat_[A-Za-z0-9_]{82})\b'
            MinimumEntropy = 3.0 # not github_pat_XXXX...
        }
        @{
            Id          = 'gitlab-token'
            Description = 'A GitLab personal access token'
            Severity    = 'High'
            Keywords    = 'glpat-'
            Pattern     = '\b(?<secret>glpat-[A-Za-z0-9_-]{20})(?:[^A-Za-z0-9_-]|$)'
            MinimumEntropy = 3.0 # not a placeholder of one repeated letter (glpat-xxxx..., glpat-AAAA...)
        }
        @{
            Id          = 'stripe-secret-key'
            Description = 'A live Stripe secret or restricted API key (sk_live_..., rk_live_...)'
            Severity    = 'Critical'
            Keywords    = 'sk_live_', 'rk_live_'
            # gitleaks' stripe-access-token, live keys only: a test-mode key (sk_test_) moves no money. Stripe's keys are
            # 24 characters after the prefix, and longer since 2023.
            Pattern     = '\b(?<secret>[sr]k_live_[A-Za-z0-9]{24,247})\b'
            MinimumEntropy = 3.0 # not a placeholder (sk_live_xxxxxxxx...)
        }
        @{
            Id          = 'slack-token'
            Description = 'A Slack bot, user, app or refresh token'
            Severity    = 'High'
            Keywords    = 'xoxb-', 'xoxa-', 'xoxp-', 'xoxr-', 'xoxs-'
            # Slack's tokens go on with a team or user number after the prefix (xoxb-<digits>-...), as gitleaks' slack rules
            # require: Slack's own documentation placeholder (xoxb-not-a-real-token-this-will-not-work) and xoxp-xxxx-xxxx
            # were findings (newcomer test 67).
            Pattern     = '\b(?<secret>xox[abprs]-[0-9]{4,}-[A-Za-z0-9-]{8,250})'
            MinimumEntropy = 3.0
        }
        @{
            Id          = 'slack-webhook-url'
            Description = 'A Slack incoming webhook URL'
            Severity    = 'Medium'
            Keywords    = 'hooks.slack.com'
            Pattern     = 'https://hooks\.slack\.com/(?:services|workflows)/(?<secret>[A-Za-z0-9_]{1,20}/[A-Za-z0-9_]{1,20}/[A-Za-z0-9_]{8,64})'
            MinimumEntropy = 3.0 # not Slack's placeholder T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX
        }
        @{
            Id          = 'sendgrid-api-key'
            Description = 'A SendGrid API key (SG.<22>.<43>)'
            Severity    = 'High'
            Keywords    = 'SG.'
            # gitleaks' sendgrid-api-token: SendGrid's keys are SG., a 22-character id, '.', and a 43-character secret.
            Pattern     = '\b(?<secret>SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])'
            MinimumEntropy = 3.0 # not SG.xxxx...
        }
        @{
            Id          = 'docker-config-auth'
            Description = 'A container registry password in a Docker or Podman config ("auth": base64 of user:password)'
            Severity    = 'High'
            Keywords    = 'auths'
            # docker login (and podman login) store each registry's user:password as base64 in config.json's or
            # auth.json's "auths" map, unless a credential store holds them (credsStore): anyone who reads the file can
            # log in as that user (newcomer test 79). An empty "auth" or a word is not a password: at least 12 base64
            # characters of some variety.
            Pattern     = '"auth"[ \t]*:[ \t]*"(?<secret>[A-Za-z0-9+/]{12,2000}={0,2})"'
            MinimumEntropy = 3.0 # not "auth": "AAAAAAAAAAAA"
        }
        @{
            Id          = 'npm-access-token'
            Description = 'An npm access token (npm_...)'
            Severity    = 'High'
            Keywords    = 'npm_'
            # gitleaks' npm-access-token: npm_ and 36 letters and digits, as in an .npmrc's _authToken.
            Pattern     = '\b(?<secret>npm_[A-Za-z0-9]{36})(?![A-Za-z0-9_-])'
            MinimumEntropy = 3.0 # not npm_xxxx...
        }
        @{
            Id          = 'gcp-api-key'
            Description = 'A Google API key (AIza...), as for Maps, Firebase or Gemini'
            Severity    = 'High'
            Keywords    = 'AIza'
            # gitleaks' gcp-api-key: AIza and 35 characters.
            Pattern     = '\b(?<secret>AIza[A-Za-z0-9_-]{35})(?![A-Za-z0-9_-])'
            MinimumEntropy = 3.0 # not AIzaXXXX...
        }
        @{
            Id          = 'openai-api-key'
            Description = 'An OpenAI API key (sk-proj-..., sk-...)'
            Severity    = 'High'
            Keywords    = 'T3BlbkFJ'
            # gitleaks' openai-api-key: every OpenAI key holds T3BlbkFJ ('OpenAI' in base64) between its two halves.
            Pattern     = '\b(?<secret>sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{58,74}|[A-Za-z0-9]{20})T3BlbkFJ[A-Za-z0-9_-]{20,74})(?![A-Za-z0-9_-])'
            MinimumEntropy = 3.0
        }
        @{
            Id          = 'anthropic-api-key'
            Description = 'An Anthropic API or admin key (sk-ant-...)'
            Severity    = 'High'
            Keywords    = 'sk-ant-'
            # gitleaks' anthropic-api-key and anthropic-admin-api-key: 93 characters after the prefix, then AA.
            Pattern     = '\b(?<secret>sk-ant-(?:api03|admin01)-[A-Za-z0-9_-]{93}AA)(?![A-Za-z0-9_-])'
            MinimumEntropy = 3.0
        }
        @{
            Id          = 'jwt'
            Description = 'A JSON Web Token'
            Severity    = 'Medium'
            Keywords    = 'eyJ'
            # Starts only where a run of token characters starts: from every 'eyJ' inside a run, as \b allowed after '-',
            # 1 MB of '-eyJ' took quadratic time and the 1 s limit hid a real token after it.
            # jwt.io's example token (John Doe, signed with 'your-256-bit-secret') is in countless READMEs: not a secret.
            Pattern     = '(?<![A-Za-z0-9_-])(?!eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9\.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ\.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c(?![A-Za-z0-9_-]))(?<secret>eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})'
        }
        @{
            Id          = 'connection-string-password'
            Description = 'A password in a connection string, settings line or file (Password=..., DB_PASSWORD: ..., "password": "...", <add key="Password" value="..."/>), quoted or not'
            Severity    = 'High'
            Keywords    = 'password', 'pwd', 'passwd', '_pass'
            # nsswitch.conf: "passwd: files" names where accounts come from. Dotenv files (.env, .env.production) are
            # dotenv-password's: their values are literal, where this rule's heuristics for code took passwords for code.
            ExcludePath = '*/nsswitch.conf', '*/.env', '*/.env.*'
            # A password key and its value, in the shapes projects keep them: KEY=value, KEY: value (YAML, the value
            # alone on the line), "KEY": "value" (JSON), KEY => / := value (PHP, Go), Pwd={value} (ODBC), an XML
            # <add key="...Password" value="..."/> either way round, a key="...password">value</ element and a
            # <...password>value</ element, define('DB_PASSWORD', '...'), a .netrc login line and a Dockerfile ENV line.
            # KEY is password or passwd with any word before it (DB_PASSWORD, dbPassword, PGPASSWORD), or pwd after '_'
            # or a non-letter (not OLDPWD), also right after an escaped \n, \r or \t in JSON text, or an environment
            # variable's _PASS in capitals (DB_PASS, SMTP_PASS; in lower case, user_pass and visit_Pass are code).
            # Every match begins at the keyword, which .NET finds fast; a look-ahead for the separator comes next, and
            # only then the look-behind over the rest of the key, whose group 'place' is where the finding is placed.
            # Matching from every word start instead made plain text 8 times slower. The colon form's unquoted value is
            # atomic and stops at ':', so 'password:' repeated costs little.
            # Blanks around the separator stay on the line ('db_password=' with nothing after it took the next line for
            # the password), and an unquoted value neither starts with nor runs past an escaped line break. An unquoted
            # value takes '&' (P&ssw0rd) and an XML entity (ab&amp;cd in a web.config connection string) unless a query
            # parameter follows (&next=, &amp;next=), where it ends.
            # Not secrets, so not findings: references to one ($VAR, ${VAR}, $(cmd), %VAR%, %(name)s, {{ var }},
            # {name}, #{Name}#, `cmd`, <placeholder>, [PLACEHOLDER], ((var)), ***, YAML tags !vault / !Ref (only as an unquoted value after a colon: elsewhere a value may begin with '!'), Azure Key
            # Vault references, the end of a string joined to code: " + pwd + "), placeholder words (changeme, CHANGE_ME_IN_PROD, replace_me, sample, secret,
            # example, xxxx, your_password_here, test, dummy, Microsoft's YourStrong@Passw0rd ...), paths (/..., ~/...), and, unquoted, code: a call or
            # an index, a dotted name (var.db_password, self.x, model.Password), a name before an operator or a comma,
            # a PowerShell command (Read-Host ...), None, null, true, types (str), new ..., and the key of
            # self.password = ... . A newcomer's 39 real shapes are all found, and none of 167 lines of code, docs,
            # Terraform, placeholders and references (tests/ScanTools.Tests/Rules/PasswordShapesTests.cs). On
            # /usr/lib/python3.11, /etc and /usr/share/doc: 65 findings before, nearly all code; now a few, nearly
            # all the docs' example secrets.
            Pattern     = '(?i)(?:(?:(?:password|passwd)(?=["'']?[ \t]*(?:=|:(?!:)))(?<=(?<place>[a-z0-9_]{0,40})(?:password|passwd))(?<!(?:self|this|cls)\.[a-z0-9_]{0,40}(?:password|passwd|pwd))|pwd(?=["'']?[ \t]*(?:=|:(?!:)))(?:(?<=(?<place>[a-z0-9_]{0,40})(?<![a-z0-9])pwd)(?<!(?:self|this|cls)\.[a-z0-9_]{0,40}(?:password|passwd|pwd))|(?<=\\[nrt]pwd))|(?-i:PASS)(?=["'']?[ \t]*(?:=|:(?!:)))(?<=(?<place>[a-z0-9_]{0,40})(?-i:[A-Z0-9]_PASS)))(?:["'']?[ \t]*(?:=>|:=|=(?!=))[ \t]*(?:"(?!\$\{|\$\(|\$[a-z_]\w{0,64}(?:(?![^;"''\s&<>,)\]}])|->|\[|\.|:)|%\(|%[a-z_]\w{0,64}%|\{\{|\{[a-z_][\w.]{0,64}\}|\*{3}|~?/|<[^>\r\n]{0,64}>|\[[^\]\r\n]{0,64}\]|#\{|`|@microsoft\.keyvault|\(\(|[ \t]*[+&.][ \t])(?!(?:changeme|change_me|change[_-]?me(?:[_-][a-z0-9]{1,20}){1,4}|changeit|replace[_-]?me|replace[_-]with[_-][a-z_-]{0,40}|fill[_-]?me[_-]?in|password|passwd|pwd|pass|secret|example|sample|placeholder|redacted|todo|test|dummy|foobar|none|null|nil|undefined|true|false|empty|required|optional|x{3,}|your[_-][a-z_-]{0,40}|yourstrong(?:@|\(!\))?passw(?:0|o)rd)(?![^;"''\s&<>,)\]}]))(?<secret>[^"\r\n]{4,200})"|''(?!\$\{|\$\(|\$[a-z_]\w{0,64}(?:(?![^;"''\s&<>,)\]}])|->|\[|\.|:)|%\(|%[a-z_]\w{0,64}%|\{\{|\{[a-z_][\w.]{0,64}\}|\*{3}|~?/|<[^>\r\n]{0,64}>|\[[^\]\r\n]{0,64}\]|#\{|`|@microsoft\.keyvault|\(\(|[ \t]*[+&.][ \t])(?!(?:changeme|change_me|change[_-]?me(?:[_-][a-z0-9]{1,20}){1,4}|changeit|replace[_-]?me|replace[_-]with[_-][a-z_-]{0,40}|fill[_-]?me[_-]?in|password|passwd|pwd|pass|secret|example|sample|placeholder|redacted|todo|test|dummy|foobar|none|null|nil|undefined|true|false|empty|required|optional|x{3,}|your[_-][a-z_-]{0,40}|yourstrong(?:@|\(!\))?passw(?:0|o)rd)(?![^;"''\s&<>,)\]}]))(?<secret>[^''\r\n]{4,200})''|&quot;(?!\$\{|\$\(|\$[a-z_]\w{0,64}(?:(?![^;"''\s&<>,)\]}])|->|\[|\.|:)|%\(|%[a-z_]\w{0,64}%|\{\{|\{[a-z_][\w.]{0,64}\}|\*{3}|~?/|<[^>\r\n]{0,64}>|\[[^\]\r\n]{0,64}\]|#\{|`|@microsoft\.keyvault|\(\(|[ \t]*[+&.][ \t])(?!(?:changeme|change_me|change[_-]?me(?:[_-][a-z0-9]{1,20}){1,4}|changeit|replace[_-]?me|replace[_-]with[_-][a-z_-]{0,40}|fill[_-]?me[_-]?in|password|passwd|pwd|pass|secret|example|sample|placeholder|redacted|todo|test|dummy|foobar|none|null|nil|undefined|true|false|empty|required|optional|x{3,}|your[_-][a-z_-]{0,40}|yourstrong(?:@|\(!\))?passw(?:0|o)rd)(?![^;"''\s&<>,)\]}]))(?<secret>[^&\r\n]{4,200})&quot;|(?!\$\{|\$\(|\$[a-z_]\w{0,64}(?:(?![^;"''\s&<>,)\]}])|->|\[|\.|:)|%\(|%[a-z_]\w{0,64}%|\{\{|\{[a-z_][\w.]{0,64}\}|\*{3}|~?/|<[^>\r\n]{0,64}>|\[[^\]\r\n]{0,64}\]|#\{|`|@microsoft\.keyvault|\(\(|[ \t]*[+&.][ \t])(?!(?:changeme|change_me|change[_-]?me(?:[_-][a-z0-9]{1,20}){1,4}|changeit|replace[_-]?me|replace[_-]with[_-][a-z_-]{0,40}|fill[_-]?me[_-]?in|password|passwd|pwd|pass|secret|example|sample|placeholder|redacted|todo|test|dummy|foobar|none|null|nil|undefined|true|false|empty|required|optional|x{3,}|your[_-][a-z_-]{0,40}|yourstrong(?:@|\(!\))?passw(?:0|o)rd)(?![^;"''\s&<>,)\]}]))\{(?<secret>[^}\r\n]{4,200})\}|(?!\$\{|\$\(|\$[a-z_]\w{0,64}(?:(?![^;"''\s&<>,)\]}])|->|\[|\.|:)|%\(|%[a-z_]\w{0,64}%|\{\{|\{[a-z_][\w.]{0,64}\}|\*{3}|~?/|<[^>\r\n]{0,64}>|\[[^\]\r\n]{0,64}\]|#\{|`|@microsoft\.keyvault|\(\(|[ \t]*[+&.][ \t])(?!(?:changeme|change_me|change[_-]?me(?:[_-][a-z0-9]{1,20}){1,4}|changeit|replace[_-]?me|replace[_-]with[_-][a-z_-]{0,40}|fill[_-]?me[_-]?in|password|passwd|pwd|pass|secret|example|sample|placeholder|redacted|todo|test|dummy|foobar|none|null|nil|undefined|true|false|empty|required|optional|x{3,}|your[_-][a-z_-]{0,40}|yourstrong(?:@|\(!\))?passw(?:0|o)rd)(?![^;"''\s&<>,)\]}]))(?![a-z_][\w.:]{0,100}[(\[])(?![@:][a-z_]\w{0,64}(?![^;"''\s&<>,)\]}]))(?!await[ \t])(?![a-z_]\w{0,64}(?:\.[a-z_]\w{0,64}){1,8}(?![^;"''\s&<>,)\]}]))(?!(?:str|string|bytes|secretstr|any|object)(?![^;"''\s&<>,)\]}]))(?!new[ \t])(?![a-z_]\w{0,100}(?:[ \t]+(?:[-+*/%|^=?]|\|\|)|[,)\]}]))(?![a-z]{2,20}-[a-z]{2,40}(?:[ \t]|(?![^;"''\s&<>,)\]}])))(?!\()(?<secret>(?:(?!\\[nrt])(?:[^;"''\s&<>]|&(?:amp|quot|lt|gt|apos|#[0-9]{1,7}|#x[0-9a-f]{1,6});(?![a-z_][\w.-]{0,64}=)|&(?![a-z_][\w.-]{0,64}=|[a-z]{2,8};|#))){4,200}))|["'']?[ \t]*:(?![:=])[ \t]*(?:"(?!\$\{|\$\(|\$[a-z_]\w{0,64}(?:(?![^;"''\s&<>,)\]}])|->|\[|\.|:)|%\(|%[a-z_]\w{0,64}%|\{\{|\{[a-z_][\w.]{0,64}\}|\*{3}|~?/|<[^>\r\n]{0,64}>|\[[^\]\r\n]{0,64}\]|#\{|`|@microsoft\.keyvault|\(\(|[ \t]*[+&.][ \t])(?!(?:changeme|change_me|change[_-]?me(?:[_-][a-z0-9]{1,20}){1,4}|changeit|replace[_-]?me|replace[_-]with[_-][a-z_-]{0,40}|fill[_-]?me[_-]?in|password|passwd|pwd|pass|secret|example|sample|placeholder|redacted|todo|test|dummy|foobar|none|null|nil|undefined|true|false|empty|required|optional|x{3,}|your[_-][a-z_-]{0,40}|yourstrong(?:@|\(!\))?passw(?:0|o)rd)(?![^;"''\s&<>,)\]}]))(?<secret>[^"\r\n]{4,200})"|''(?!\$\{|\$\(|\$[a-z_]\w{0,64}(?:(?![^;"''\s&<>,)\]}])|->|\[|\.|:)|%\(|%[a-z_]\w{0,64}%|\{\{|\{[a-z_][\w.]{0,64}\}|\*{3}|~?/|<[^>\r\n]{0,64}>|\[[^\]\r\n]{0,64}\]|#\{|`|@microsoft\.keyvault|\(\(|[ \t]*[+&.][ \t])(?!(?:changeme|change_me|change[_-]?me(?:[_-][a-z0-9]{1,20}){1,4}|changeit|replace[_-]?me|replace[_-]with[_-][a-z_-]{0,40}|fill[_-]?me[_-]?in|password|passwd|pwd|pass|secret|example|sample|placeholder|redacted|todo|test|dummy|foobar|none|null|nil|undefined|true|false|empty|required|optional|x{3,}|your[_-][a-z_-]{0,40}|yourstrong(?:@|\(!\))?passw(?:0|o)rd)(?![^;"''\s&<>,)\]}]))(?<secret>[^''\r\n]{4,200})''|&quot;(?!\$\{|\$\(|\$[a-z_]\w{0,64}(?:(?![^;"''\s&<>,)\]}])|->|\[|\.|:)|%\(|%[a-z_]\w{0,64}%|\{\{|\{[a-z_][\w.]{0,64}\}|\*{3}|~?/|<[^>\r\n]{0,64}>|\[[^\]\r\n]{0,64}\]|#\{|`|@microsoft\.keyvault|\(\(|[ \t]*[+&.][ \t])(?!(?:changeme|change_me|change[_-]?me(?:[_-][a-z0-9]{1,20}){1,4}|changeit|replace[_-]?me|replace[_-]with[_-][a-z_-]{0,40}|fill[_-]?me[_-]?in|password|passwd|pwd|pass|secret|example|sample|placeholder|redacted|todo|test|dummy|foobar|none|null|nil|undefined|true|false|empty|required|optional|x{3,}|your[_-][a-z_-]{0,40}|yourstrong(?:@|\(!\))?passw(?:0|o)rd)(?![^;"''\s&<>,)\]}]))(?<secret>[^&\r\n]{4,200})&quot;|(?>(?!\$\{|\$\(|\$[a-z_]\w{0,64}(?:(?![^;"''\s&<>,)\]}])|->|\[|\.|:)|%\(|%[a-z_]\w{0,64}%|\{\{|\{[a-z_][\w.]{0,64}\}|\*{3}|~?/|<[^>\r\n]{0,64}>|\[[^\]\r\n]{0,64}\]|#\{|`|@microsoft\.keyvault|!|\(\(|[ \t]*[+&.][ \t])(?!(?:changeme|change_me|change[_-]?me(?:[_-][a-z0-9]{1,20}){1,4}|changeit|replace[_-]?me|replace[_-]with[_-][a-z_-]{0,40}|fill[_-]?me[_-]?in|password|passwd|pwd|pass|secret|example|sample|placeholder|redacted|todo|test|dummy|foobar|none|null|nil|undefined|true|false|empty|required|optional|x{3,}|your[_-][a-z_-]{0,40}|yourstrong(?:@|\(!\))?passw(?:0|o)rd)(?![^;"''\s&<>,)\]}]))(?![a-z_][\w.:]{0,100}[(\[])(?![@:][a-z_]\w{0,64}(?![^;"''\s&<>,)\]}]))(?!await[ \t])(?![a-z_]\w{0,64}(?:\.[a-z_]\w{0,64}){1,8}(?![^;"''\s&<>,)\]}]))(?!(?:str|string|bytes|secretstr|any|object)(?![^;"''\s&<>,)\]}]))(?!new[ \t])(?![a-z_]\w{0,100}(?:[ \t]+(?:[-+*/%|^=?]|\|\|)|[,)\]}]))(?![a-z]{2,20}-[a-z]{2,40}(?:[ \t]|(?![^;"''\s&<>,)\]}])))(?!\()(?<secret>(?:(?!\\[nrt])(?:[^;"''\s&<>:]|&(?:amp|quot|lt|gt|apos|#[0-9]{1,7}|#x[0-9a-f]{1,6});(?![a-z_][\w.-]{0,64}=)|&(?![a-z_][\w.-]{0,64}=|[a-z]{2,8};|#))){4,200}))(?=[ \t]*(?:[#,}\r\n]|$))))|(?:password|passwd|pwd)(?=")(?<=(?<place>(?<![a-z0-9_])(?:key|name)[ \t]*=[ \t]*"[a-z0-9_.:-]{0,40})(?:password|passwd|pwd))"(?:[ \t]+value[ \t]*=[ \t]*"(?!\$\{|\$\(|\$[a-z_]\w{0,64}(?:(?![^;"''\s&<>,)\]}])|->|\[|\.|:)|%\(|%[a-z_]\w{0,64}%|\{\{|\{[a-z_][\w.]{0,64}\}|\*{3}|~?/|<[^>\r\n]{0,64}>|\[[^\]\r\n]{0,64}\]|#\{|`|@microsoft\.keyvault|\(\(|[ \t]*[+&.][ \t])(?!(?:changeme|change_me|change[_-]?me(?:[_-][a-z0-9]{1,20}){1,4}|changeit|replace[_-]?me|replace[_-]with[_-][a-z_-]{0,40}|fill[_-]?me[_-]?in|password|passwd|pwd|pass|secret|example|sample|placeholder|redacted|todo|test|dummy|foobar|none|null|nil|undefined|true|false|empty|required|optional|x{3,}|your[_-][a-z_-]{0,40}|yourstrong(?:@|\(!\))?passw(?:0|o)rd)(?![^;"''\s&<>,)\]}]))(?<secret>[^"\r\n]{4,200})"|[ \t]*>(?!\$\{|\$\(|\$[a-z_]\w{0,64}(?:(?![^;"''\s&<>,)\]}])|->|\[|\.|:)|%\(|%[a-z_]\w{0,64}%|\{\{|\{[a-z_][\w.]{0,64}\}|\*{3}|~?/|<[^>\r\n]{0,64}>|\[[^\]\r\n]{0,64}\]|#\{|`|@microsoft\.keyvault|\(\(|[ \t]*[+&.][ \t])(?!(?:changeme|change_me|change[_-]?me(?:[_-][a-z0-9]{1,20}){1,4}|changeit|replace[_-]?me|replace[_-]with[_-][a-z_-]{0,40}|fill[_-]?me[_-]?in|password|passwd|pwd|pass|secret|example|sample|placeholder|redacted|todo|test|dummy|foobar|none|null|nil|undefined|true|false|empty|required|optional|x{3,}|your[_-][a-z_-]{0,40}|yourstrong(?:@|\(!\))?passw(?:0|o)rd)(?![^;"''\s&<>,)\]}]))(?<secret>[^<\r\n]{4,200})</)|(?:password|passwd|pwd)(?=")(?<=(?<place>(?<![a-z0-9_])value[ \t]*=[ \t]*"(?!\$\{|\$\(|\$[a-z_]\w{0,64}(?:(?![^;"''\s&<>,)\]}])|->|\[|\.|:)|%\(|%[a-z_]\w{0,64}%|\{\{|\{[a-z_][\w.]{0,64}\}|\*{3}|~?/|<[^>\r\n]{0,64}>|\[[^\]\r\n]{0,64}\]|#\{|`|@microsoft\.keyvault|\(\(|[ \t]*[+&.][ \t])(?!(?:changeme|change_me|change[_-]?me(?:[_-][a-z0-9]{1,20}){1,4}|changeit|replace[_-]?me|replace[_-]with[_-][a-z_-]{0,40}|fill[_-]?me[_-]?in|password|passwd|pwd|pass|secret|example|sample|placeholder|redacted|todo|test|dummy|foobar|none|null|nil|undefined|true|false|empty|required|optional|x{3,}|your[_-][a-z_-]{0,40}|yourstrong(?:@|\(!\))?passw(?:0|o)rd)(?![^;"''\s&<>,)\]}]))(?<secret>[^"\r\n]{4,200})"[ \t]+(?:key|name)[ \t]*=[ \t]*"[a-z0-9_.:-]{0,40})(?:password|passwd|pwd))"|(?:password|passwd)(?=>)(?<=(?<place><[a-z0-9_:.-]{0,40})(?:password|passwd))>(?!\$\{|\$\(|\$[a-z_]\w{0,64}(?:(?![^;"''\s&<>,)\]}])|->|\[|\.|:)|%\(|%[a-z_]\w{0,64}%|\{\{|\{[a-z_][\w.]{0,64}\}|\*{3}|~?/|<[^>\r\n]{0,64}>|\[[^\]\r\n]{0,64}\]|#\{|`|@microsoft\.keyvault|\(\(|[ \t]*[+&.][ \t])(?!(?:changeme|change_me|change[_-]?me(?:[_-][a-z0-9]{1,20}){1,4}|changeit|replace[_-]?me|replace[_-]with[_-][a-z_-]{0,40}|fill[_-]?me[_-]?in|password|passwd|pwd|pass|secret|example|sample|placeholder|redacted|todo|test|dummy|foobar|none|null|nil|undefined|true|false|empty|required|optional|x{3,}|your[_-][a-z_-]{0,40}|yourstrong(?:@|\(!\))?passw(?:0|o)rd)(?![^;"''\s&<>,)\]}]))(?<secret>[^<\r\n]{4,200})</|(?:password|passwd|pwd)(?=[''"])(?<=(?<place>define\([ \t]*[''"][a-z0-9_]{0,40})(?:password|passwd|pwd))[''"][ \t]*,[ \t]*(?:"(?!\$\{|\$\(|\$[a-z_]\w{0,64}(?:(?![^;"''\s&<>,)\]}])|->|\[|\.|:)|%\(|%[a-z_]\w{0,64}%|\{\{|\{[a-z_][\w.]{0,64}\}|\*{3}|~?/|<[^>\r\n]{0,64}>|\[[^\]\r\n]{0,64}\]|#\{|`|@microsoft\.keyvault|\(\(|[ \t]*[+&.][ \t])(?!(?:changeme|change_me|change[_-]?me(?:[_-][a-z0-9]{1,20}){1,4}|changeit|replace[_-]?me|replace[_-]with[_-][a-z_-]{0,40}|fill[_-]?me[_-]?in|password|passwd|pwd|pass|secret|example|sample|placeholder|redacted|todo|test|dummy|foobar|none|null|nil|undefined|true|false|empty|required|optional|x{3,}|your[_-][a-z_-]{0,40}|yourstrong(?:@|\(!\))?passw(?:0|o)rd)(?![^;"''\s&<>,)\]}]))(?<secret>[^"\r\n]{4,200})"|''(?!\$\{|\$\(|\$[a-z_]\w{0,64}(?:(?![^;"''\s&<>,)\]}])|->|\[|\.|:)|%\(|%[a-z_]\w{0,64}%|\{\{|\{[a-z_][\w.]{0,64}\}|\*{3}|~?/|<[^>\r\n]{0,64}>|\[[^\]\r\n]{0,64}\]|#\{|`|@microsoft\.keyvault|\(\(|[ \t]*[+&.][ \t])(?!(?:changeme|change_me|change[_-]?me(?:[_-][a-z0-9]{1,20}){1,4}|changeit|replace[_-]?me|replace[_-]with[_-][a-z_-]{0,40}|fill[_-]?me[_-]?in|password|passwd|pwd|pass|secret|example|sample|placeholder|redacted|todo|test|dummy|foobar|none|null|nil|undefined|true|false|empty|required|optional|x{3,}|your[_-][a-z_-]{0,40}|yourstrong(?:@|\(!\))?passw(?:0|o)rd)(?![^;"''\s&<>,)\]}]))(?<secret>[^''\r\n]{4,200})'')|password(?=[ \t])(?<=(?<place>(?<![a-z0-9_])login[ \t]+[^\s]{1,100}[ \t]+)password)[ \t]+(?!\$\{|\$\(|\$[a-z_]\w{0,64}(?:(?![^;"''\s&<>,)\]}])|->|\[|\.|:)|%\(|%[a-z_]\w{0,64}%|\{\{|\{[a-z_][\w.]{0,64}\}|\*{3}|~?/|<[^>\r\n]{0,64}>|\[[^\]\r\n]{0,64}\]|#\{|`|@microsoft\.keyvault|\(\(|[ \t]*[+&.][ \t])(?!(?:changeme|change_me|change[_-]?me(?:[_-][a-z0-9]{1,20}){1,4}|changeit|replace[_-]?me|replace[_-]with[_-][a-z_-]{0,40}|fill[_-]?me[_-]?in|password|passwd|pwd|pass|secret|example|sample|placeholder|redacted|todo|test|dummy|foobar|none|null|nil|undefined|true|false|empty|required|optional|x{3,}|your[_-][a-z_-]{0,40}|yourstrong(?:@|\(!\))?passw(?:0|o)rd)(?![^;"''\s&<>,)\]}]))(?<secret>[^\s]{4,200})|(?:password|passwd)(?=[ \t])(?<=(?<place>(?<![^\n])[ \t]*env[ \t]+[a-z0-9_]{0,40})(?:password|passwd))[ \t]+(?!\$\{|\$\(|\$[a-z_]\w{0,64}(?:(?![^;"''\s&<>,)\]}])|->|\[|\.|:)|%\(|%[a-z_]\w{0,64}%|\{\{|\{[a-z_][\w.]{0,64}\}|\*{3}|~?/|<[^>\r\n]{0,64}>|\[[^\]\r\n]{0,64}\]|#\{|`|@microsoft\.keyvault|\(\(|[ \t]*[+&.][ \t])(?!(?:changeme|change_me|change[_-]?me(?:[_-][a-z0-9]{1,20}){1,4}|changeit|replace[_-]?me|replace[_-]with[_-][a-z_-]{0,40}|fill[_-]?me[_-]?in|password|passwd|pwd|pass|secret|example|sample|placeholder|redacted|todo|test|dummy|foobar|none|null|nil|undefined|true|false|empty|required|optional|x{3,}|your[_-][a-z_-]{0,40}|yourstrong(?:@|\(!\))?passw(?:0|o)rd)(?![^;"''\s&<>,)\]}]))(?<secret>[^\s]{4,200}))'
        }
        @{
            Id          = 'dotenv-password'
            Description = 'A password in a dotenv file (.env, .env.production: DB_PASSWORD=..., SMTP_PASS=...), whatever characters it holds'
            Severity    = 'High'
            Name        = '.env', '.env.*'
            Keywords    = 'pass', 'pwd'
            # A dotenv file (docker compose, python-dotenv, Node's dotenv; the format those document) holds KEY=value lines,
            # values literal: unquoted to the first blank (a '#' after a blank starts a comment), or in double quotes (with
            # backslash escapes) or single quotes. connection-string-password reads values as code might write them, and
            # took generated passwords for code there: 'Xy;9#kLm' cut at ';', '/vB3kq9Z' a path, 'Pa(ss)w0rd' a call,
            # 'blue-elephant' a PowerShell command, 'correct.horse.battery' a dotted name (newcomer test 83). KEY ends in
            # PASSWORD or PASSWD, or in PASS or PWD after '_' or alone (not BYPASS). Not secrets: references (${VAR}, $VAR,
            # $(cmd), %VAR%, {{ var }}), a whole <placeholder>, *** and xxx, and placeholder words, as for
            # connection-string-password. That rule leaves these files to this one, so a line is one finding.
            Pattern     = '(?im)^[ \t]*(?:export[ \t]+)?(?<place>[a-z0-9_.-]{0,60}(?:password|passwd)|(?:[a-z0-9_.-]{0,60}_)?(?:pass|pwd))[ \t]*=[ \t]*(?:"(?!\$\{|\$\(|\$[a-z_]|%[a-z_]\w{0,64}%|\{\{|\*{3}|<[^>\r\n]{0,64}>(?:[ \t]*(?:#|$)|["''])|x{3,}(?![^\s#"'']))(?!(?:changeme|change_me|change[_-]?me(?:[_-][a-z0-9]{1,20}){1,4}|changeit|replace[_-]?me|replace[_-]with[_-][a-z_-]{0,40}|fill[_-]?me[_-]?in|password|passwd|pwd|pass|secret|example|sample|placeholder|redacted|todo|test|dummy|foobar|none|null|nil|undefined|true|false|empty|required|optional|your[_-][a-z_-]{0,40})(?![^\s#"'']))(?<secret>(?:[^"\\\r\n]|\\.){4,500})"|''(?!\$\{|\$\(|\$[a-z_]|%[a-z_]\w{0,64}%|\{\{|\*{3}|<[^>\r\n]{0,64}>(?:[ \t]*(?:#|$)|["''])|x{3,}(?![^\s#"'']))(?!(?:changeme|change_me|change[_-]?me(?:[_-][a-z0-9]{1,20}){1,4}|changeit|replace[_-]?me|replace[_-]with[_-][a-z_-]{0,40}|fill[_-]?me[_-]?in|password|passwd|pwd|pass|secret|example|sample|placeholder|redacted|todo|test|dummy|foobar|none|null|nil|undefined|true|false|empty|required|optional|your[_-][a-z_-]{0,40})(?![^\s#"'']))(?<secret>[^''\r\n]{4,500})''|(?!["''])(?!\$\{|\$\(|\$[a-z_]|%[a-z_]\w{0,64}%|\{\{|\*{3}|<[^>\r\n]{0,64}>(?:[ \t]*(?:#|$)|["''])|x{3,}(?![^\s#"'']))(?!(?:changeme|change_me|change[_-]?me(?:[_-][a-z0-9]{1,20}){1,4}|changeit|replace[_-]?me|replace[_-]with[_-][a-z_-]{0,40}|fill[_-]?me[_-]?in|password|passwd|pwd|pass|secret|example|sample|placeholder|redacted|todo|test|dummy|foobar|none|null|nil|undefined|true|false|empty|required|optional|your[_-][a-z_-]{0,40})(?![^\s#"'']))(?<secret>[^\s#"''][^\s]{3,499}))'
        }
        @{
            Id          = 'convertto-securestring-plaintext'
            Description = 'A password written into a PowerShell script: ConvertTo-SecureString ''...'' -AsPlainText'
            Severity    = 'High'
            Keywords    = 'ConvertTo-SecureString'
            # PSScriptAnalyzer's AvoidUsingConvertToSecureStringWithPlainText, for literals: a quoted string given to
            # ConvertTo-SecureString with -AsPlainText in the same command, in the three ways scripts write it
            # (ConvertTo-SecureString 'x' -AsPlainText -Force; ... -AsPlainText -Force -String 'x'; 'x' | ConvertTo-SecureString
            # -AsPlainText). Not a secret: a variable or an expandable string with one ($env:PASS, "$pw"), a string without
            # -AsPlainText (an encrypted standard string read with -Key), placeholder words. Every match begins at the
            # command's name; the piped string is read behind it. -AsPlainText and -Force may be shortened as PowerShell
            # allows (-AsPlain, -a, -f) and given as -AsPlainText:$true (not :$false), a single-quoted literal may hold a
            # doubled quote ('It''s'), and the command may go on over lines ending in a backtick (and after a pipe).
            Pattern     = '(?i)ConvertTo-SecureString(?:(?<=(?:"(?!(?:changeme|change_me|replace[_-]?me|replace[_-]with[_-][a-z_-]{0,40}|fill[_-]?me[_-]?in|password|passwd|placeholder|example|redacted|secret|dummy|x{3,}|\*{3}|<[^>\r\n]{0,64}>|your[_-]?[a-z_-]{0,40})["''])(?<secret>[^"$`\r\n]{4,200})"|''(?!(?:changeme|change_me|replace[_-]?me|replace[_-]with[_-][a-z_-]{0,40}|fill[_-]?me[_-]?in|password|passwd|placeholder|example|redacted|secret|dummy|x{3,}|\*{3}|<[^>\r\n]{0,64}>|your[_-]?[a-z_-]{0,40})["''])(?<secret>(?:[^''\r\n]|''''){4,200})'')[ \t]*\|(?:[ \t]|`?\r?\n)*ConvertTo-SecureString)(?=(?:[^\r\n|;#`]|`\r?\n|`[^\r\n]){0,200}-A(?:s(?:P(?:l(?:a(?:i(?:n(?:T(?:e(?:xt?)?)?)?)?)?)?)?)?)?\b(?!:\$false))|(?:[ \t]|`\r?\n)+(?:-F(?:o(?:r(?:ce?)?)?)?(?::\$true\b)?(?:[ \t]|`\r?\n)+)?-A(?:s(?:P(?:l(?:a(?:i(?:n(?:T(?:e(?:xt?)?)?)?)?)?)?)?)?)?(?::\$true\b)?(?:[ \t]|`\r?\n)+(?:-F(?:o(?:r(?:ce?)?)?)?(?::\$true\b)?(?:[ \t]|`\r?\n)+)?(?:-String(?:[ \t]|`\r?\n)+)?(?:"(?!(?:changeme|change_me|replace[_-]?me|replace[_-]with[_-][a-z_-]{0,40}|fill[_-]?me[_-]?in|password|passwd|placeholder|example|redacted|secret|dummy|x{3,}|\*{3}|<[^>\r\n]{0,64}>|your[_-]?[a-z_-]{0,40})["''])(?<secret>[^"$`\r\n]{4,200})"|''(?!(?:changeme|change_me|replace[_-]?me|replace[_-]with[_-][a-z_-]{0,40}|fill[_-]?me[_-]?in|password|passwd|placeholder|example|redacted|secret|dummy|x{3,}|\*{3}|<[^>\r\n]{0,64}>|your[_-]?[a-z_-]{0,40})["''])(?<secret>(?:[^''\r\n]|''''){4,200})'')|(?:[ \t]|`\r?\n)+(?:-String(?:[ \t]|`\r?\n)+)?(?:"(?!(?:changeme|change_me|replace[_-]?me|replace[_-]with[_-][a-z_-]{0,40}|fill[_-]?me[_-]?in|password|passwd|placeholder|example|redacted|secret|dummy|x{3,}|\*{3}|<[^>\r\n]{0,64}>|your[_-]?[a-z_-]{0,40})["''])(?<secret>[^"$`\r\n]{4,200})"|''(?!(?:changeme|change_me|replace[_-]?me|replace[_-]with[_-][a-z_-]{0,40}|fill[_-]?me[_-]?in|password|passwd|placeholder|example|redacted|secret|dummy|x{3,}|\*{3}|<[^>\r\n]{0,64}>|your[_-]?[a-z_-]{0,40})["''])(?<secret>(?:[^''\r\n]|''''){4,200})'')(?=(?:[^\r\n|;#`]|`\r?\n|`[^\r\n]){0,200}-A(?:s(?:P(?:l(?:a(?:i(?:n(?:T(?:e(?:xt?)?)?)?)?)?)?)?)?)?\b(?!:\$false)))'
        }
        @{
            Id          = 'url-password'
            Description = 'A password in a URL (scheme://user:password@host)'
            Severity    = 'High'
            Keywords    = '://'
            # The user may be empty (redis://:secret@host); then the secret holds no ':' (cvs://:pserver:anoncvs@host is
            # no password). References and placeholder words are not secrets, as for connection-string-password, nor is
            # anonymous FTP's conventional password (ftp://anonymous:guest@host).
            Pattern     = '(?i)\b[a-z][a-z0-9+.-]{1,20}://(?!anonymous:)(?:(?<redact>[^:/?#\s@"'']{1,64}):(?!\$\{|\$\(|\$[a-z_]\w{0,64}(?:(?![^;"''\s&<>,)\]}])|->|\[|\.|:)|%\(|%[a-z_]\w{0,64}%|\{\{|\{[a-z_][\w.]{0,64}\}|\*{3}|~?/|<[^>\r\n]{0,64}>|\[[^\]\r\n]{0,64}\]|#\{|`|@microsoft\.keyvault|!|\(\(|[ \t]*[+&.][ \t])(?!(?:changeme|change_me|change[_-]?me(?:[_-][a-z0-9]{1,20}){1,4}|changeit|replace[_-]?me|replace[_-]with[_-][a-z_-]{0,40}|fill[_-]?me[_-]?in|password|passwd|pwd|pass|secret|example|sample|placeholder|redacted|todo|test|dummy|foobar|none|null|nil|undefined|true|false|empty|required|optional|x{3,}|your[_-][a-z_-]{0,40}|yourstrong(?:@|\(!\))?passw(?:0|o)rd)@)(?<secret>[^/?#\s"'']{3,128})|:(?!\$\{|\$\(|\$[a-z_]\w{0,64}(?:(?![^;"''\s&<>,)\]}])|->|\[|\.|:)|%\(|%[a-z_]\w{0,64}%|\{\{|\{[a-z_][\w.]{0,64}\}|\*{3}|~?/|<[^>\r\n]{0,64}>|\[[^\]\r\n]{0,64}\]|#\{|`|@microsoft\.keyvault|!|\(\(|[ \t]*[+&.][ \t])(?!(?:changeme|change_me|change[_-]?me(?:[_-][a-z0-9]{1,20}){1,4}|changeit|replace[_-]?me|replace[_-]with[_-][a-z_-]{0,40}|fill[_-]?me[_-]?in|password|passwd|pwd|pass|secret|example|sample|placeholder|redacted|todo|test|dummy|foobar|none|null|nil|undefined|true|false|empty|required|optional|x{3,}|your[_-][a-z_-]{0,40}|yourstrong(?:@|\(!\))?passw(?:0|o)rd)@)(?<secret>[^:/?#\s"'']{3,128}))@[a-z0-9.-]+'
        }
        @{
            Id          = 'pgpass-password'
            Description = 'A password in a PostgreSQL password file (.pgpass, pgpass.conf: host:port:database:user:password)'
            Severity    = 'High'
            Name        = '.pgpass', 'pgpass.conf'
            # libpq's password file (PostgreSQL documentation, "The Password File"): one line a server,
            # hostname:port:database:username:password, each field '*' or a value with ':' and '\' escaped by '\', and '#'
            # starting a comment line. The password is the fifth field, to the end of the line. Only in files of those names
            # (%APPDATA%\postgresql\pgpass.conf on Windows; PGPASSFILE may name another: add a rule of its name), where
            # connection-string-password cannot see it: the line names no key.
            Pattern     = '(?m)^(?![ \t]*#)(?:(?:[^:\\\r\n]|\\.){1,255}:){4}(?<secret>(?:[^\\\r\n]|\\.){1,255})(?=\r?$)'
        }
        @{
            Id          = 'world-writable-file'
            Description = 'A file anyone may write (mode o+w)'
            Severity    = 'Medium'
            Mode        = 'WorldWritable'
        }
        @{
            Id          = 'setuid-file'
            Description = 'A set-user-id file: it runs with its owner''s rights'
            Severity    = 'High'
            Mode        = 'SetUid'
        }
        @{
            Id          = 'setgid-file'
            Description = 'A set-group-id file: it runs with its group''s rights'
            Severity    = 'Medium'
            Mode        = 'SetGid'
        }
        @{
            Id          = 'executable-in-temp'
            Description = 'An executable file in a temporary folder, where malware is often dropped'
            Severity    = 'Medium'
            Mode        = 'Executable'
            Path        = '/tmp/*', '/var/tmp/*', '/dev/shm/*', '*/AppData/Local/Temp/*', '*\AppData\Local\Temp\*', '*\Windows\Temp\*'
        }
        @{
            Id          = 'large-file'
            Description = 'A file of 1 GiB or more'
            Severity    = 'Info'
            MinimumSize = 1GB
        }
    )
}
