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
            # between them and the body's own white space until the limit.
            Pattern     = '-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----(?>(?:\s|\\n|\\r)*)(?<secret>(?:(?!-----)[A-Za-z0-9+/=:,\s\\-]){31,20000}?[A-Za-z0-9+/=])(?>(?:\s|\\n|\\r)*)-----END'
        }
        @{
            Id          = 'aws-access-key-id'
            Description = 'An AWS access key id'
            Severity    = 'High'
            Keywords    = 'AKIA', 'ASIA', 'ABIA', 'ACCA', 'A3T'
            Pattern     = '\b(?<secret>(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b'
        }
        @{
            Id             = 'aws-secret-access-key'
            Description    = 'An AWS secret access key assigned to a setting'
            Severity       = 'Critical'
            Keywords       = 'aws'
            Pattern        = '(?i)aws_?(?:secret)?_?(?:access)?_?key["'']?\s{0,5}[:=]\s{0,5}["'']?(?<secret>[A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)'
            MinimumEntropy = 4.0
        }
        @{
            Id          = 'azure-storage-account-key'
            Description = 'An Azure storage account key in a connection string'
            Severity    = 'Critical'
            Keywords    = 'AccountKey'
            Pattern     = '(?i)AccountKey\s*=\s*(?<secret>[A-Za-z0-9+/]{86}==)'
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
            Pattern     = '\b(?<secret>gh[pousr]_[A-Za-z0-9]{36,255})\b'
        }
        @{
            Id          = 'github-fine-grained-token'
            Description = 'A GitHub fine-grained personal access token'
            Severity    = 'High'
            Keywords    = 'github_pat_'
            Pattern     = '\b(?<secret>github_pat_[A-Za-z0-9_]{82})\b'
        }
        @{
            Id          = 'gitlab-token'
            Description = 'A GitLab personal access token'
            Severity    = 'High'
            Keywords    = 'glpat-'
            Pattern     = '\b(?<secret>glpat-[A-Za-z0-9_-]{20})(?:[^A-Za-z0-9_-]|$)'
        }
        @{
            Id          = 'slack-token'
            Description = 'A Slack bot, user, app or refresh token'
            Severity    = 'High'
            Keywords    = 'xoxb-', 'xoxa-', 'xoxp-', 'xoxr-', 'xoxs-'
            Pattern     = '\b(?<secret>xox[abprs]-[A-Za-z0-9-]{10,250})'
        }
        @{
            Id          = 'slack-webhook-url'
            Description = 'A Slack incoming webhook URL'
            Severity    = 'Medium'
            Keywords    = 'hooks.slack.com'
            Pattern     = 'https://hooks\.slack\.com/(?:services|workflows)/(?<secret>[A-Za-z0-9_]{1,20}/[A-Za-z0-9_]{1,20}/[A-Za-z0-9_]{8,64})'
        }
        @{
            Id          = 'jwt'
            Description = 'A JSON Web Token'
            Severity    = 'Medium'
            Keywords    = 'eyJ'
            # Starts only where a run of token characters starts: from every 'eyJ' inside a run, as \b allowed after '-',
            # 1 MB of '-eyJ' took quadratic time and the 1 s limit hid a real token after it.
            Pattern     = '(?<![A-Za-z0-9_-])(?<secret>eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})'
        }
        @{
            Id          = 'connection-string-password'
            Description = 'A password in a connection string, settings line or file (Password=..., DB_PASSWORD: ..., "password": "...", <add key="Password" value="..."/>), quoted or not'
            Severity    = 'High'
            Keywords    = 'password', 'pwd', 'passwd'
            ExcludePath = '*/nsswitch.conf'   # "passwd: files" names where accounts come from
            # The key from its start (DB_PASSWORD: 'word_' parts tried only where a run of letters, digits and '_'
            # begins), or the keyword alone after any other character or an escaped \n, \r or \t ("HOST=x\npassword=..."
            # in JSON). The former prefix tried the parts from every '_': 100 KB of 'a_' before a password took quadratic
            # time, and the 1 s limit hid the password. The key ends at '=' or ':' (settings files, JSON and YAML; a
            # quote may close the key first), or is the key="...Password" of an XML appSettings entry whose
            # value="..." holds the secret. Blanks around the separator stay on the line: 'db_password=' with nothing
            # after it took the next line for the password, and an unquoted value neither starts with nor runs past an
            # escaped line break ("DB_PASSWORD=\nDB_HOST=..." in JSON). Not secrets, so not findings: references to
            # one ($VAR, ${VAR}, $(cmd), $obj->x, %(name)s, %VAR%, {{ var }}, ***) and, unquoted, code: a call such as
            # getpass(...) or an index, self.x, os.environ..., None, null, true, a type such as str, the key's own word
            # (pwd=pwd), a name followed by an operator or a comma (passwd + 'x', a = b = '', user, password), and the key of
            # self.password = ..., a value in parentheses; and paths (/..., ~/...), quoted or not. Scanning /usr/lib/python3.11, /etc and /usr/share/doc
            # gave 65 findings, nearly all code; 8 after these, nearly all example secrets of the docs.
            Pattern     = '(?i)(?:(?:(?<![a-z0-9_])(?:[a-z0-9]+_)+|(?<![a-z0-9])|(?<=\\[nrt]))(?<!\b(?:self|this|cls)\.)(?:password|passwd|pwd)["'']?[ \t]*(?:=|:(?!:))[ \t]*(?:"(?!\$\{|\$\(|\$[a-z_]\w{0,64}(?:(?![^;"''\s&<>,)\]}])|->|\[|\.)|%\(|%[a-z_]\w{0,64}%|\{\{|\*{3}|~?/)(?<secret>[^"\r\n]{4,200})"|''(?!\$\{|\$\(|\$[a-z_]\w{0,64}(?:(?![^;"''\s&<>,)\]}])|->|\[|\.)|%\(|%[a-z_]\w{0,64}%|\{\{|\*{3}|~?/)(?<secret>[^''\r\n]{4,200})''|&quot;(?<secret>[^&\r\n]{4,200})&quot;|(?!\$\{|\$\(|\$[a-z_]\w{0,64}(?:(?![^;"''\s&<>,)\]}])|->|\[|\.)|%\(|%[a-z_]\w{0,64}%|\{\{|\*{3}|~?/)(?![a-z_][\w.]{0,100}[(\[])(?!(?:self|this|cls|os|sys|env|config|settings|cfg|conf|args|opts|options|params|request|req|process|app|user|credentials|creds|secrets?|kwargs|data|form)\.)(?!(?:none|null|nil|undefined|true|false|str|string|bytes|secretstr|any|object|password|passwd|pwd)(?![^;"''\s&<>,)\]}]))(?![a-z_]\w{0,100}(?:[ \t]+[-+*/%|^=]|[,)\]}]))(?!\()(?<secret>(?:(?!\\[nrt])[^;"''\s&<>]){4,200}))|(?<![a-z0-9_])(?:key|name)[ \t]*=[ \t]*"(?:[a-z0-9]+[_.])*(?:password|passwd|pwd)"[ \t]+value[ \t]*=[ \t]*"(?!\$\{|\$\(|\$[a-z_]\w{0,64}(?:(?![^;"''\s&<>,)\]}])|->|\[|\.)|%\(|%[a-z_]\w{0,64}%|\{\{|\*{3}|~?/)(?<secret>[^"\r\n]{4,200})")'
        }
        @{
            Id          = 'url-password'
            Description = 'A password in a URL (scheme://user:password@host)'
            Severity    = 'High'
            Keywords    = '://'
            Pattern     = '(?i)\b[a-z][a-z0-9+.-]{1,20}://(?<redact>[^:/?#\s@"'']{1,64}):(?<secret>[^/?#\s"'']{3,128})@[a-z0-9.-]+'
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
