# Rules and findings (issue 12): Start-Scan -Rule/-RulePath/-ExcludeRule/-ContentSizeLimit, Get-FindingMatch,
# Get-Finding -Rule/-Severity/-MinimumSeverity/-Baseline, Get-ScanRule, Export-FindingMatch and
# Export-FindingBaseline, as a user calls them, on trees built here.
#
# No secret-looking text is kept in this file: every planted secret is built at run time from random
# characters of its rule's alphabet ('AKIA' + 16 of [A-Z2-7], 'ghp_' + 36 of [A-Za-z0-9], ...), and every
# expected line and column is computed from where it was planted.
# Error ids are compared as full FullyQualifiedErrorIds ("<id>,<cmdlet class>").

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $modulePath = Get-ScanToolsTestModulePath
    Import-Module $modulePath -Force

    $catalogs = Join-Path $TestDrive 'catalogs'
    $trees = Join-Path $TestDrive 'trees'
    $null = New-Item -ItemType Directory -Path $catalogs, $trees -Force

    # The built-in rules as the engine's source declares them, read independently of the module.
    $builtinFile = Join-Path $PSScriptRoot '../../src/ScanTools.Engine/Rules/BuiltinRules.psd1'
    $builtin = @((Import-PowerShellDataFile -LiteralPath $builtinFile).Rules)
    $builtinById = @{}
    foreach ($r in $builtin) { $builtinById[$r.Id] = $r }
    $severityRank = @{ Info = 0; Low = 1; Medium = 2; High = 3; Critical = 4 }

    $upperBase32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
    $alphaNumeric = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
    $lowerWords = 'abcdefghijklmnopqrstuvwxyz'

    function Get-RandomText([string] $Alphabet, [int] $Length) {
        -join (1..$Length | ForEach-Object { $Alphabet[[System.Security.Cryptography.RandomNumberGenerator]::GetInt32($Alphabet.Length)] })
    }

    function New-AwsKeyId { 'AKIA' + (Get-RandomText $upperBase32 16) }

    function New-GitHubToken { 'ghp_' + (Get-RandomText $alphaNumeric 36) }

    function Get-RandomFiller {
        # A few lines of lower-case words that no rule matches, and an indentation for the planted line.
        $lines = foreach ($i in 1..([System.Security.Cryptography.RandomNumberGenerator]::GetInt32(1, 6))) {
            (1..([System.Security.Cryptography.RandomNumberGenerator]::GetInt32(1, 6)) | ForEach-Object { Get-RandomText $lowerWords 5 }) -join ' '
        }
        ($lines -join "`n") + "`n" + (' ' * [System.Security.Cryptography.RandomNumberGenerator]::GetInt32(0, 9))
    }

    function Get-Place([string] $TextBefore) {
        # 1-based line and column (UTF-16 code units) of the character that follows $TextBefore.
        $lastBreak = $TextBefore.LastIndexOf("`n")
        [pscustomobject]@{
            Line   = ($TextBefore.ToCharArray() | Where-Object { $_ -eq "`n" }).Count + 1
            Column = $TextBefore.Length - ($lastBreak + 1) + 1
        }
    }

    function Write-Planted {
        # Writes Before + Secret + After to Path and returns where the secret starts.
        param([string] $Path, [string] $Before, [string] $Secret, [string] $After = "`n", [System.Text.Encoding] $Encoding)
        $null = [IO.Directory]::CreateDirectory([IO.Path]::GetDirectoryName($Path))
        $Encoding ??= [Text.UTF8Encoding]::new($false)
        [IO.File]::WriteAllText($Path, $Before + $Secret + $After, $Encoding)
        $place = Get-Place $Before
        [pscustomobject]@{ Path = $Path; Secret = $Secret; Line = $place.Line; Column = $place.Column }
    }

    function Get-Redacted([string] $Secret) {
        # At most 4 leading characters, and no more than a quarter of the secret, then an ellipsis.
        $Secret.Substring(0, [math]::Min(4, [math]::Floor($Secret.Length / 4))) + [char]0x2026
    }

    function Read-SharedBytes([string] $Path) {
        # The bytes of a file another connection may hold open for writing.
        $stream = [IO.FileStream]::new($Path, 'Open', 'Read', [IO.FileShare]'ReadWrite, Delete')
        try {
            $buffer = [IO.MemoryStream]::new()
            $stream.CopyTo($buffer)
            , $buffer.ToArray() # one byte array, even an empty one, not its bytes one by one
        }
        finally {
            $stream.Dispose()
        }
    }

    function Test-BytesContain([byte[]] $Haystack, [string] $Text) {
        # Byte-exact search for the UTF-8 (and UTF-16LE) encoding of $Text: Latin-1 maps each byte to one char.
        $latin1 = [Text.Encoding]::Latin1
        $all = $latin1.GetString($Haystack)
        $all.Contains($latin1.GetString([Text.Encoding]::UTF8.GetBytes($Text)), [StringComparison]::Ordinal) -or
        $all.Contains($latin1.GetString([Text.Encoding]::Unicode.GetBytes($Text)), [StringComparison]::Ordinal)
    }

    function Get-CatalogFile([string] $Database) {
        foreach ($suffix in '', '-wal', '-shm') {
            if (Test-Path -LiteralPath ($Database + $suffix)) { $Database + $suffix }
        }
    }

    function Write-RulesFile([string] $Path, [string] $Text) {
        [IO.File]::WriteAllText($Path, $Text, [Text.UTF8Encoding]::new($false))
        $Path
    }
}

Describe 'Get-ScanRule' {
    It 'warns of a rules file without rules, which Start-Scan refuses (newcomer test 70)' {
        $empty = Write-RulesFile (Join-Path $TestDrive 'empty-rules.psd1') '@{ Rules = @() }'
        @(Get-ScanRule -RulePath $empty -ExcludeBuiltin -WarningVariable w -WarningAction SilentlyContinue) | Should -BeNullOrEmpty
        "$w" | Should -BeLike "*'$empty' holds no rules*Start-Scan -RulePath refuses it*"
    }

    It 'lists every built-in rule, in the order of the built-in rules file, with severity and description' {
        $rules = @(Get-ScanRule)

        @($rules.Id) | Should -Be @($builtin.Id)
        foreach ($r in $rules) {
            $r | Should -BeOfType ScanTools.Rules.ScanRule
            [string]$r.Severity | Should -Be ($builtinById[$r.Id].Severity ?? 'Medium')
            $r.Description | Should -Be $builtinById[$r.Id].Description
            $r.IsContentRule | Should -Be ($null -ne $builtinById[$r.Id].Pattern)
            [string]$r.Kind | Should -Be ($(if ($r.IsContentRule) { 'Content' } else { 'Property' }))
        }
        @($rules | Where-Object Kind -EQ Property).Id | Should -Contain 'setuid-file' -Because 'the view''s Kind column is a property one can filter on'
    }

    It 'selects by -Id with wildcards, case ignored, several patterns as alternatives' {
        $expected = @($builtin.Id | Where-Object { $_ -like 'aws-*' -or $_ -like '*-file' })

        $rules = @(Get-ScanRule -Id 'AWS-*', '*-FILE')

        $expected.Count | Should -BeGreaterThan 2
        Join-Sorted $rules.Id | Should -Be (Join-Sorted $expected)
    }

    It 'takes the id by position, and an exact id returns that rule only' {
        @(Get-ScanRule jwt).Id | Should -Be @('jwt')
    }

    It 'takes -Rule as -Id, the name the other commands give rule ids (it bound to -RulePath by prefix: newcomer test 72)' {
        @(Get-ScanRule -Rule jwt -ErrorVariable ruleErrors).Id | Should -Be @('jwt')
        $ruleErrors | Should -BeNullOrEmpty
    }

    It 'reports an exact -Id that no rule has as RuleNotFound, and a wildcard that matches none as nothing' {
        $missing = 'no-such-rule-' + (Get-RandomText $lowerWords 6)

        $rules = @(Get-ScanRule -Id $missing -ErrorAction SilentlyContinue -ErrorVariable notFound)
        $wild = @(Get-ScanRule -Id "$missing*" -ErrorVariable wildErrors)

        $rules | Should -BeNullOrEmpty
        @($notFound) | Should -HaveCount 1
        $notFound[0].FullyQualifiedErrorId | Should -Be 'RuleNotFound,ScanTools.Commands.GetScanRuleCommand'
        $wild | Should -BeNullOrEmpty
        $wildErrors | Should -BeNullOrEmpty
        $notFound[0].TargetObject | Should -Be $missing
    }

    It 'refuses a malformed -Id pattern as InvalidFilter, saying how to escape a bracket' {
        { Get-ScanRule -Id 'aws[' } | Should -Throw -ErrorId 'InvalidFilter,ScanTools.Commands.GetScanRuleCommand' -ExpectedMessage "*without a closing*Escape a literal bracket*"
    }

    It 'reports each exact -Id that no rule has on its own, among ids and patterns that do match' {
        $missing = 'no-such-rule-' + (Get-RandomText $lowerWords 6)
        $rules = @(Get-ScanRule -Id 'aws-*', $missing, 'jwt' -ErrorAction SilentlyContinue -ErrorVariable notFound)
        $rules.Id | Should -Contain 'jwt'
        @($rules | Where-Object Id -like 'aws-*').Count | Should -BeGreaterThan 0
        @($notFound) | Should -HaveCount 1
        $notFound[0].FullyQualifiedErrorId | Should -Be 'RuleNotFound,ScanTools.Commands.GetScanRuleCommand'
        $notFound[0].TargetObject | Should -Be $missing
        $notFound[0].Exception.Message | Should -BeLike "*'$missing'*"
    }

    Context 'a rules file of the user' {
        BeforeAll {
            $userRules = Write-RulesFile (Join-Path $TestDrive 'user-rules.psd1') @'
# Rules of a user: one new rule, one that replaces a built-in rule.
@{
    Rules = @(
        @{
            Id          = 'internal-token'
            Description = 'A token of the internal API'
            Severity    = 'Critical'
            Keywords    = 'itk_'
            Pattern     = '\b(?<secret>itk_[a-z0-9]{20})\b'
        }
        @{
            Id          = 'jwt'
            Description = 'A JSON Web Token, less severe here'
            Severity    = 'Low'
            Pattern     = '\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}'
        }
    )
}
'@
        }

        It 'lists its rules after the built-in ones, its rule replacing the built-in rule of the same id' {
            $rules = @(Get-ScanRule -RulePath $userRules)

            $rules.Id | Should -Contain 'internal-token'
            $rules[-1].Id | Should -Be 'internal-token'
            @($rules | Where-Object Id -EQ 'jwt') | Should -HaveCount 1
            ($rules | Where-Object Id -EQ 'jwt').Severity | Should -Be 'Low'
            ($rules | Where-Object Id -EQ 'internal-token').Severity | Should -Be 'Critical'
            $rules.Count | Should -Be ($builtin.Count + 1)
        }

        It 'lists only the rules of the file with -ExcludeBuiltin' {
            Join-Sorted @(Get-ScanRule -RulePath $userRules -ExcludeBuiltin).Id | Should -Be (Join-Sorted 'internal-token', 'jwt')
        }

        It 'combines -RulePath with -Id' {
            @(Get-ScanRule -RulePath $userRules -Id 'internal-*').Id | Should -Be @('internal-token')
        }

        It 'warns, when a scan applies it, that a rule of the file replaces the built-in rule of its id' {
            $tree = New-TestDirectory -Parent $TestDrive -Name 'replacing'
            $null = New-TestFile -Path (Join-Path $tree 'a.txt') -Content 'nothing'
            $replacing = New-CatalogPath -Directory $catalogs
            $null = Start-Scan -Path $tree -Database $replacing -Rule * -RulePath $userRules -WarningVariable replaced -WarningAction SilentlyContinue
            @($replaced | Where-Object { "$_" -like "*'jwt'*replaces the built-in rule*severity Medium there, Low here*Resolved*another Id*" }) | Should -HaveCount 1 -Because 'the built-in rule''s findings were resolved without a word'
            @($replaced | Where-Object { "$_" -like "*'internal-token'*" }) | Should -BeNullOrEmpty
        }
    }

    Context 'a rules file that is not valid' {
        BeforeDiscovery {
            # Each bad file, with the text that marks the line at fault.
            $badFiles = @(
                @{ Case = 'an unknown key'; Marker = 'Colour'; Rule = "Id = 'bad-key'`n            Pattern = 'abc'`n            Colour = 'red'" }
                @{ Case = 'a pattern that does not compile'; Marker = 'Pattern'; Rule = "Id = 'bad-regex'`n            Pattern = '(unclosed[a-'" }
                @{ Case = 'a variable'; Marker = '$env:X'; Rule = "Id = 'bad-variable'`n            Pattern = `$env:X" }
                @{ Case = 'a command'; Marker = '(Get-Date)'; Rule = "Id = 'bad-command'`n            Pattern = (Get-Date)" }
                @{ Case = 'a relative Path, which matches no full path'; Marker = 't11/'; Rule = "Id = 'bad-path'`n            Pattern = 'abc'`n            Path = 't11/*'" }
                @{ Case = 'an empty ExcludePath'; Marker = 'ExcludePath'; Rule = "Id = 'bad-exclude'`n            Pattern = 'abc'`n            ExcludePath = ''" }
                @{ Case = 'an empty Name'; Marker = 'Name'; Rule = "Id = 'bad-name'`n            Pattern = 'abc'`n            Name = ''" }
                @{ Case = 'Keywords without a word'; Marker = 'Keywords'; Rule = "Id = 'bad-keywords'`n            Pattern = 'abc'`n            Keywords = @()" }
                @{ Case = 'Keywords of blanks'; Marker = 'Keywords'; Rule = "Id = 'blank-keywords'`n            Pattern = 'abc'`n            Keywords = '  '" }
                @{ Case = 'a Path starting with ~'; Marker = '~/src'; Rule = "Id = 'tilde-path'`n            Pattern = 'abc'`n            Path = '~/src/*'" }
                @{ Case = 'Name = @()'; Marker = 'Name'; Rule = "Id = 'no-names'`n            Pattern = 'abc'`n            Name = @()" }
            )
        }

        BeforeEach {
            # A random number of comment lines first, so that the expected line is computed, not constant.
            $comments = (1..([System.Security.Cryptography.RandomNumberGenerator]::GetInt32(0, 6)) | ForEach-Object { "# comment $_" }) -join "`n"
            $text = "$comments`n@{`n    Rules = @(`n        @{`n            $Rule`n        }`n    )`n}`n"
            $badFile = Write-RulesFile (Join-Path $TestDrive ("bad-" + [guid]::NewGuid().ToString('N') + '.psd1')) $text
            $badLines = $text -split "`n"
            $badLine = 1 + [array]::FindIndex($badLines, [Predicate[string]] { param($l) $l.Contains($Marker) })
        }

        It 'refuses <Case> in Get-ScanRule with InvalidRules naming the file and the line' -ForEach $badFiles {
            $failure = { Get-ScanRule -RulePath $badFile } | Should -Throw -ErrorId 'InvalidRules,ScanTools.Commands.GetScanRuleCommand' -PassThru

            $failure.Exception.Message | Should -Match ([regex]::Escape($badFile) + ":$badLine\b")
        }

        It 'refuses <Case> in Start-Scan with InvalidRules naming the file and the line, and scans nothing' -ForEach $badFiles {
            $db = New-CatalogPath -Directory $catalogs
            $root = New-TestDirectory -Parent $trees
            $null = New-TestFile -Path (Join-Path $root 'a.txt') -Content 'abc'

            $failure = { Start-Scan -Path $root -RulePath $badFile -Database $db } | Should -Throw -ErrorId 'InvalidRules,ScanTools.Commands.StartScanCommand' -PassThru

            $failure.Exception.Message | Should -Match ([regex]::Escape($badFile) + ":$badLine\b")
            Test-Path -LiteralPath $db | Should -BeFalse -Because 'nothing may be scanned (or a catalog created) with rules that cannot work'
        }
    }

    It 'refuses a rules file that does not exist with InvalidRules' {
        $missing = Join-Path $TestDrive 'no-such-rules.psd1'

        { Get-ScanRule -RulePath $missing } | Should -Throw -ErrorId 'InvalidRules,ScanTools.Commands.GetScanRuleCommand'
    }
}

Describe 'Start-Scan -Rule: planted secrets' {
    BeforeAll {
        $root = Join-Path $trees 'planted'
        $planted = [ordered]@{}
        $planted.settings = Write-Planted -Path (Join-Path $root 'app/settings.ini') -Before ("[aws]`n" + (Get-RandomFiller) + 'access_key_id = ') -Secret (New-AwsKeyId)
        $planted.deploy = Write-Planted -Path (Join-Path $root 'app/deploy/deploy.sh') -Before ("#!/bin/sh`n" + (Get-RandomFiller) + 'export GITHUB_TOKEN=') -Secret (New-GitHubToken)
        # UTF-16 little-endian with its byte-order mark, CRLF line ends, the key on a later line.
        $planted.utf16 = Write-Planted -Path (Join-Path $root 'app/utf16.txt') -Before ("first line`r`n" + (Get-RandomFiller) + 'id: ') -Secret (New-AwsKeyId) -After "`r`n" -Encoding ([Text.UnicodeEncoding]::new($false, $true))
        # UTF-8 with a byte-order mark (not counted in the column) and characters of two UTF-16 code units before the key.
        $planted.wide = Write-Planted -Path (Join-Path $root 'app/wide.txt') -Before ("na$([char]0xEF)ve $([char]::ConvertFromUtf32(0x1F600)) key: ") -Secret (New-AwsKeyId) -Encoding ([Text.UTF8Encoding]::new($true))
        # The same key twice in one file is one finding, at its first place.
        $twiceKey = New-AwsKeyId
        $planted.twice = Write-Planted -Path (Join-Path $root 'app/twice.txt') -Before ((Get-RandomFiller) + 'a=') -Secret $twiceKey -After "`nb=$twiceKey`n"
        # A NUL byte at index 8000 is past git's binary probe: the file is text.
        $planted.lateNul = Write-Planted -Path (Join-Path $root 'data/late-nul.txt') -Before 'key ' -Secret (New-AwsKeyId) -After (' ' + ('x' * (8000 - 4 - 20 - 1)) + "`0tail")
        $passwordSecret = Get-RandomText $alphaNumeric ([System.Security.Cryptography.RandomNumberGenerator]::GetInt32(8, 25))
        $planted.password = Write-Planted -Path (Join-Path $root 'app/db.conf') -Before 'Server=db1;Database=orders;User Id=app;Password=' -Secret $passwordSecret -After ";`n"

        # A PuTTY key as puttygen writes it on Windows (CRLF): its private lines are the secret.
        $ppkLines = @((Get-RandomText $alphaNumeric 64), (Get-RandomText $alphaNumeric 24))
        $planted.ppk = Write-Planted -Path (Join-Path $root 'keys/admin.ppk') -Before ("PuTTY-User-Key-File-3: ssh-ed25519`r`nEncryption: none`r`nComment: admin`r`nPublic-Lines: 1`r`n" + (Get-RandomText $alphaNumeric 64) + "`r`nPrivate-Lines: 2`r`n") -Secret ($ppkLines -join "`r`n") -After ("`r`nPrivate-MAC: " + ('0' * 64) + "`r`n")

        # Binary: a NUL byte within the first 8,000 bytes (here at index 7999), the key before it.
        $binaryKey = New-AwsKeyId
        $binaryPath = Join-Path $root 'data/blob.bin'
        [IO.File]::WriteAllText($binaryPath, 'key ' + $binaryKey + ' ' + ('y' * (7999 - 4 - 20 - 1)) + "`0" + 'more')
        $clean = New-TestFile -Path (Join-Path $root 'app/readme.txt') -Content 'nothing to see here'

        $secrets = @($planted.Values.Secret) + $binaryKey + $ppkLines
        $db = New-CatalogPath -Directory $catalogs
        $passThru = @(Start-Scan -Path $root -Rule * -Database $db -PassThru)
        $run = $passThru[-1]
        $records = @($passThru | Select-Object -SkipLast 1)
        $all = @(Get-FindingMatch -Database $db)
    }

    It 'completes without error items' {
        $run.Status | Should -Be 'Completed'
        $run.Errors | Should -Be 0
    }

    It 'finds the <_> secret with its rule at the line and column where it was planted' -ForEach 'settings', 'deploy', 'utf16', 'wide', 'twice', 'lateNul' {
        $p = $planted[$_]
        $rule = if ($p.Secret.StartsWith('ghp_')) { 'github-token' } else { 'aws-access-key-id' }

        $found = @($all | Where-Object { $_.FullName -eq $p.Path -and $_.RuleId -eq $rule })

        $found | Should -HaveCount 1
        $found[0].Line | Should -Be $p.Line
        $found[0].Column | Should -Be $p.Column
        $found[0].Location | Should -Be "$($p.Path):$($p.Line):$($p.Column)"
        $found[0].Severity | Should -Be $builtinById[$rule].Severity
        $found[0].Status | Should -Be 'New'
        $found[0].FirstScanId | Should -Be $run.Id
        $found[0].LastScanId | Should -Be $run.Id
        $found[0].Fingerprint | Should -Match '^[0-9a-f]{32}$'
    }

    It 'finds a PuTTY private key file, its header as the place and its private lines as the secret' {
        $found = @($all | Where-Object { $_.FullName -eq $planted.ppk.Path })

        $found | Should -HaveCount 1
        $found[0].RuleId | Should -Be 'putty-private-key'
        $found[0].Severity | Should -Be 'Critical'
        $found[0].Line | Should -Be 1
        $found[0].Excerpt | Should -BeLike 'PuTTY-User-Key-File-3: ssh-ed25519 Encryption: none*' -Because 'the key type and its encryption say what was found'
        foreach ($line in $ppkLines) {
            $found[0].Excerpt.Contains($line.Substring(0, 5)) | Should -BeFalse
        }
    }

    It 'shows at most 4 leading characters of a secret, and no more than a quarter of it' {
        $aws = $all | Where-Object FullName -EQ $planted.settings.Path
        $password = @($all | Where-Object { $_.FullName -eq $planted.password.Path -and $_.RuleId -eq 'connection-string-password' })

        $aws.Excerpt | Should -BeExactly (Get-Redacted $planted.settings.Secret)
        $password | Should -HaveCount 1
        $password[0].Excerpt | Should -BeExactly ('Password=' + (Get-Redacted $passwordSecret)) -Because 'the match starts at the key, not at the separator before it'
    }

    It 'does not match a file with a NUL byte in its first 8,000 bytes' {
        @($all | Where-Object FullName -EQ $binaryPath) | Should -BeNullOrEmpty
    }

    It 'does not match a file without secrets' {
        @($all | Where-Object FullName -EQ $clean) | Should -BeNullOrEmpty
    }

    It 'never writes a secret to the catalog, its -wal or its -shm file' {
        $files = @(Get-CatalogFile $db)
        $files.Count | Should -BeGreaterThan 0
        # The search itself works: it finds each secret in the file it was planted in.
        Test-BytesContain ([IO.File]::ReadAllBytes($planted.settings.Path)) $planted.settings.Secret | Should -BeTrue
        Test-BytesContain ([IO.File]::ReadAllBytes($planted.utf16.Path)) $planted.utf16.Secret | Should -BeTrue

        foreach ($file in $files) {
            $bytes = Read-SharedBytes $file
            foreach ($secret in $secrets) {
                Test-BytesContain $bytes $secret | Should -BeFalse -Because "$file must not hold a secret"
            }
        }
    }

    It 'never shows a secret, or more than 4 of its characters, in Get-FindingMatch output or -PassThru records' {
        $text = ($all | Format-List -Property * | Out-String -Width 1000) + ($all | ConvertTo-Json -Depth 4) +
            ($records | ConvertTo-Json -Depth 4)

        $all.Count | Should -BeGreaterThan 6
        foreach ($secret in $secrets) {
            $text.Contains($secret) | Should -BeFalse
            $text.Contains($secret.Substring(0, 5)) | Should -BeFalse
        }
    }

    It 'gives -PassThru records their matches, the same fingerprints as the stored findings' {
        $withMatches = @($records | Where-Object { $_.Matches })

        Join-Sorted $withMatches.FullName | Should -Be (Join-Sorted ($all.FullName | Sort-Object -Unique))
        Join-Sorted @($withMatches.Matches.Fingerprint | Sort-Object -Unique) | Should -Be (Join-Sorted $all.Fingerprint)
    }

    It 'records the ids of the rules it applied in the run''s options' {
        Join-Sorted ($run.Options | ConvertFrom-Json).RuleIds | Should -Be (Join-Sorted $builtin.Id)
    }

    It 'keeps the fingerprints on a rescan and makes the findings Open' {
        $again = Start-Scan -Path $root -Rule * -Database $db
        $now = @(Get-FindingMatch -Database $db)

        Join-Sorted $now.Fingerprint | Should -Be (Join-Sorted $all.Fingerprint)
        @($now | Where-Object Status -NE 'Open') | Should -BeNullOrEmpty
        @($now | Where-Object LastScanId -NE $again.Id) | Should -BeNullOrEmpty
        @($now | Where-Object FirstScanId -NE $run.Id) | Should -BeNullOrEmpty
    }
}

Describe 'Get-FindingMatch filters' {
    BeforeAll {
        $root = Join-Path $trees 'filters'
        $keyA = Write-Planted -Path (Join-Path $root 'one/a.txt') -Before 'k=' -Secret (New-AwsKeyId)
        $keyB = Write-Planted -Path (Join-Path $root 'two/b[1].txt') -Before 'k=' -Secret (New-AwsKeyId)
        $token = Write-Planted -Path (Join-Path $root 'two/t.sh') -Before 'T=' -Secret (New-GitHubToken)
        $open = New-TestFile -Path (Join-Path $root 'one/open.log') -Content 'spool'
        if (-not $IsWindows) { chmod 666 $open }
        $db = New-CatalogPath -Directory $catalogs
        $first = Start-Scan -Path $root -Rule * -Database $db
        $all = @(Get-FindingMatch -Database $db)
    }

    It 'returns the worst first, then in path order' {
        $ranks = @($all | ForEach-Object { $severityRank[[string]$_.Severity] })

        $all.Count | Should -BeGreaterThan 2
        for ($i = 1; $i -lt $ranks.Count; $i++) { $ranks[$i] | Should -BeLessOrEqual $ranks[$i - 1] }
    }

    It 'takes piped rules (their findings), piped paths (strings, literally) and refuses objects that select nothing' {
        # Get-ScanRule | Get-FindingMatch could not bind at all: "The input object cannot be bound to any parameters".
        @(Get-ScanRule -Id github-token | Get-FindingMatch -Database $db -ErrorVariable bindErrors).FullName | Should -Be @($token.Path)
        $bindErrors | Should -BeNullOrEmpty
        @(Get-ScanRule -Id github-token | Get-FindingMatch -Database $db -Rule 'aws-*') | Should -BeNullOrEmpty
        @($keyB.Path | Get-FindingMatch -Database $db).FullName | Should -Be @($keyB.Path) -Because 'b[1].txt is a name, not a pattern'
        @(5 | Get-FindingMatch -Database $db -ErrorVariable notBound -ErrorAction SilentlyContinue) | Should -BeNullOrEmpty
        $notBound[0].FullyQualifiedErrorId | Should -Be 'InputObjectNotBound,ScanTools.Commands.GetFindingMatchCommand'
        @('' | Get-FindingMatch -Database $db -ErrorAction SilentlyContinue) | Should -BeNullOrEmpty -Because 'a blank line names no file'
        @(Get-ScanRun -Database $db -Id $first.Id | Get-FindingMatch).Count | Should -Be $all.Count
        $otherDb = New-CatalogPath -Directory $catalogs
        $null = Start-Scan -Path (Split-Path $token.Path) -Rule * -Database $otherDb
        @(Get-ScanRun -Database $otherDb -Last 1 | Get-FindingMatch -Database $db -ErrorVariable foreign -ErrorAction SilentlyContinue) | Should -BeNullOrEmpty -Because 'the other catalog''s run 1 named this one''s run 1'
        $foreign[0].FullyQualifiedErrorId | Should -Be 'ObjectFromOtherCatalog,ScanTools.Commands.GetFindingMatchCommand'
    }

    It 'filters by -Rule with wildcards, case ignored' {
        Join-Sorted @(Get-FindingMatch -Database $db -Rule 'AWS-*').FullName | Should -Be (Join-Sorted $keyA.Path, $keyB.Path)
        @(Get-FindingMatch -Database $db -Rule 'github-token').FullName | Should -Be @($token.Path)
        @(Get-FindingMatch -Database $db -Rule 'no-such-*') | Should -BeNullOrEmpty
    }

    It 'filters by -Severity (exactly) and -MinimumSeverity (that or worse)' -Skip:$IsWindows {
        @(Get-FindingMatch -Database $db -Severity Medium).RuleId | Should -Be @('world-writable-file')
        $high = @(Get-FindingMatch -Database $db -MinimumSeverity High)
        Join-Sorted $high.FullName | Should -Be (Join-Sorted $keyA.Path, $keyB.Path, $token.Path)
        @(Get-FindingMatch -Database $db -Severity Critical, Info) | Should -BeNullOrEmpty
        { Get-FindingMatch -Database $db -Severity Medium -MinimumSeverity High } | Should -Throw -ErrorId 'InvalidFilter,ScanTools.Commands.GetFindingMatchCommand' -ExpectedMessage '*no finding can match*'
        { Get-Finding -Database $db -Severity Low, Medium -MinimumSeverity High } | Should -Throw -ErrorId 'InvalidFilter,ScanTools.Commands.GetFindingCommand'
    }

    It 'filters by -Path (a folder means everything below it) and -LiteralPath (brackets are characters)' {
        Join-Sorted @(Get-FindingMatch -Database $db -Path (Join-Path $root 'two')).FullName | Should -Be (Join-Sorted $keyB.Path, $token.Path)
        @(Get-FindingMatch -Database $db -LiteralPath $keyB.Path).FullName | Should -Be @($keyB.Path)
        @(Get-FindingMatch -Database $db (Join-Path $root 'one/*.txt')).FullName | Should -Be @($keyA.Path)
    }

    It 'gives the matches of piped findings, files and matches only, each once (the whole catalog came out once per object)' {
        $piped = @(Get-Finding -Database $db -Path (Join-Path $root 'two') | Get-FindingMatch)
        Join-Sorted $piped.FullName | Should -Be (Join-Sorted $keyB.Path, $token.Path) -Because 'each piped finding gives its own file''s matches, brackets in names taken literally'
        @(Get-Item -LiteralPath $keyA.Path | Get-FindingMatch -Database $db).FullName | Should -Be @($keyA.Path)
        @(Get-FindingMatch -Database $db -Rule github-token | Get-FindingMatch -Database $db).FullName | Should -Be @($token.Path)
    }

    It 'takes the rows of its own CSV report read back with Import-Csv: each row''s file and rule' {
        $csv = Join-Path $TestDrive 'rows-back.csv'
        Get-FindingMatch -Database $db -Rule github-token, aws-* | Export-FindingMatch -Path $csv

        $back = @(Import-Csv -LiteralPath $csv | Get-FindingMatch -Database $db -ErrorVariable unbound)

        $unbound | Should -BeNullOrEmpty -Because 'every row was InputObjectNotBound: its column was Path, not FullName'
        (Get-Content -LiteralPath $csv -TotalCount 1) | Should -BeLike 'Severity,RuleId,FullName,*' -Because 'a Path column bound to Remove-Item -Path and Get-Finding -Path, where brackets are wildcards (newcomer test 76)'
        Join-Sorted $back.Fingerprint | Should -Be (Join-Sorted (Import-Csv -LiteralPath $csv).Fingerprint)
        $back.Count | Should -BeGreaterThan 1

        # Two findings of one rule in one file: each row is its own finding, so a baseline of one reviewed row accepts that one only.
        $two = New-TestDirectory -Parent $TestDrive -Name 'two-of-one-rule'
        Set-Content -LiteralPath (Join-Path $two 'web.config') -Value '<add key="SmtpPassword" value="Smtp!Pa55x" />', '<add name="Main" connectionString="Server=sql01;User Id=sa;Password=SaProd2024x;" />'
        $twoDb = New-CatalogPath -Directory $TestDrive
        $null = Start-Scan -Path $two -Rule connection-string-password -Database $twoDb
        $twoCsv = Join-Path $TestDrive 'two.csv'
        Get-FindingMatch -Database $twoDb | Export-FindingMatch -Path $twoCsv
        @(Import-Csv -LiteralPath $twoCsv) | Should -HaveCount 2
        @(Import-Csv -LiteralPath $twoCsv | Get-FindingMatch -Database $twoDb) | Should -HaveCount 2 -Because 'each row gave both findings of its file and rule'
        $reviewed = Join-Path $TestDrive 'two-baseline.json'
        Import-Csv -LiteralPath $twoCsv | Where-Object Line -EQ 1 | Get-FindingMatch -Database $twoDb | Export-FindingBaseline -Path $reviewed
        @(Get-FindingMatch -Database $twoDb -Baseline $reviewed).Line | Should -Be @(2) -Because 'the production password on line 2 was accepted with the reviewed row'
    }

    It 'gives rows read back from its CSV to Get-Finding literally, and never to Remove-Item as a wildcard (key[1].env named key1.env: newcomer test 76)' {
        $tree = New-TestDirectory -Parent $TestDrive -Name 'csv-brackets'
        $secretFile = Join-Path $tree 'key[1].env'
        $innocent = Join-Path $tree 'key1.env'
        [IO.File]::WriteAllText($secretFile, "DB_PASSWORD=Hunter2SuperSecret`n")
        [IO.File]::WriteAllText($innocent, "innocent`n")
        $bdb = New-CatalogPath -Directory $TestDrive
        $null = Start-Scan -LiteralPath $tree -Rule connection-string-password -Database $bdb
        $csv = Join-Path $TestDrive 'brackets.csv'
        Get-FindingMatch -Database $bdb | Export-FindingMatch -Path $csv

        @(Import-Csv -LiteralPath $csv | Get-Finding -Database $bdb).FullName | Should -Be @($secretFile)
        Import-Csv -LiteralPath $csv | Remove-Item -ErrorAction SilentlyContinue
        Test-Path -LiteralPath $innocent | Should -BeTrue -Because 'a Path column made Remove-Item take key[1].env as a pattern'
    }

    It 'warns of a typed path no scan has recorded, as Get-Finding does' {
        $typo = Join-Path $root 'no-such-folder'

        @(Get-FindingMatch -Database $db -Path $typo -WarningVariable unknown -WarningAction SilentlyContinue) | Should -BeNullOrEmpty

        "$unknown" | Should -BeLike "*holds no file or folder '$typo'*"
        $null = @(Get-FindingMatch -Database $db -LiteralPath $root -Rule no-rule-here -WarningVariable known -WarningAction SilentlyContinue)
        @($known | Where-Object { "$_" -like '*holds no file or folder*' }) | Should -BeNullOrEmpty
    }

    It 'returns at most -First findings' {
        @(Get-FindingMatch -Database $db -First 2) | Should -HaveCount 2
        @(Get-FindingMatch -Database $db -First 0) | Should -BeNullOrEmpty
    }

    It 'returns each finding once when a folder and the files in it are piped (Get-ChildItem -Recurse)' {
        $all = @(Get-FindingMatch -Database $db)
        $piped = @(Get-ChildItem -LiteralPath $root -Recurse | Get-FindingMatch -Database $db)

        $piped | Should -HaveCount $all.Count
        Join-Sorted $piped.Fingerprint | Should -Be (Join-Sorted $all.Fingerprint)
    }

    It 'returns what a piped scan run found first (-ScanId by its Id), nothing when it found nothing new' {
        $newKey = Write-Planted -Path (Join-Path $root 'one/new.txt') -Before 'k=' -Secret (New-AwsKeyId)

        $fresh = @(Start-Scan -Path $root -Rule * -Database $db | Get-FindingMatch)
        $none = @(Start-Scan -Path $root -Rule * -Database $db | Get-FindingMatch)

        @($fresh.FullName) | Should -Be @($newKey.Path)
        $fresh[0].Status | Should -Be 'New'
        $none | Should -BeNullOrEmpty
        @(Get-FindingMatch -Database $db -ScanId $first.Id).Count | Should -Be $all.Count
    }

    It 'refuses -IncludeBaselined without -Baseline, and a missing baseline' {
        { Get-FindingMatch -Database $db -IncludeBaselined } | Should -Throw -ErrorId 'InvalidFilter,ScanTools.Commands.GetFindingMatchCommand'
        { Get-FindingMatch -Database $db -Baseline (Join-Path $TestDrive 'none.json') } | Should -Throw -ErrorId 'InvalidBaseline,ScanTools.Commands.GetFindingMatchCommand'
    }

    It 'refuses a FIFO, a device or a huge file as -RulePath or -Baseline, saying what it is, instead of hanging or running out of memory' -Skip:$IsWindows {
        $fifo = Join-Path $TestDrive 'rules-fifo'
        mkfifo $fifo
        $huge = Join-Path $TestDrive 'huge.psd1'
        $hugeBaseline = Join-Path $TestDrive 'huge.json'
        truncate -s 17M $huge
        truncate -s 513M $hugeBaseline
        # In a thread job with a deadline: a command that reads the FIFO would wait for a writer forever.
        $job = Start-ThreadJob -ArgumentList $modulePath, $db, $fifo, $huge, $hugeBaseline -ScriptBlock {
            param($m, $db, $fifo, $huge, $hugeBaseline)
            Import-Module $m
            foreach ($case in @(
                    @{ Run = { Get-ScanRule -RulePath $fifo }; Id = 'InvalidRules' }
                    @{ Run = { Get-ScanRule -RulePath /dev/zero }; Id = 'InvalidRules' }
                    @{ Run = { Get-ScanRule -RulePath $huge }; Id = 'InvalidRules' }
                    @{ Run = { Get-FindingMatch -Database $db -Baseline $fifo }; Id = 'InvalidBaseline' }
                    @{ Run = { Get-FindingMatch -Database $db -Baseline $hugeBaseline }; Id = 'InvalidBaseline' })) {
                try { & $case.Run | Out-Null; "no error: $($case.Run)" }
                catch { '{0}|{1}|{2}' -f $case.Id, $_.FullyQualifiedErrorId, $_.Exception.Message }
            }
        }
        $finished = $job | Wait-Job -Timeout 60
        $results = @($job | Receive-Job)
        $job | Remove-Job -Force
        $finished | Should -Not -BeNullOrEmpty -Because 'no input file may block the command'
        $results | Should -HaveCount 5
        foreach ($r in $results) {
            $id, $fqid, $message = $r -split '\|', 3
            $fqid | Should -BeLike "$id,*"
            $message | Should -Match 'not a regular file|is at most'
        }
    }
}

Describe 'Get-Finding -Rule, -Severity and -MinimumSeverity' {
    BeforeAll {
        $root = Join-Path $trees 'get-finding'
        $aws = Write-Planted -Path (Join-Path $root 'cfg/aws.ini') -Before 'id = ' -Secret (New-AwsKeyId)
        $gh = Write-Planted -Path (Join-Path $root 'cfg/gh.env') -Before 'GH=' -Secret (New-GitHubToken)
        $both = Write-Planted -Path (Join-Path $root 'cfg/both.txt') -Before 'k=' -Secret (New-AwsKeyId) -After ("`nT=" + (New-GitHubToken) + "`n")
        $spool = New-TestFile -Path (Join-Path $root 'var/spool.log') -Content 'spool'
        $plain = New-TestFile -Path (Join-Path $root 'var/plain.txt') -Content 'plain'
        if (-not $IsWindows) { chmod 666 $spool }
        $db = New-CatalogPath -Directory $catalogs
        $null = Start-Scan -Path $root -Rule * -Database $db
    }

    It 'returns only the files with findings of the -Rule, each with those findings in Matches' {
        $files = @(Get-Finding -Database $db -Rule aws-access-key-id)

        Join-Sorted $files.FullName | Should -Be (Join-Sorted $aws.Path, $both.Path)
        foreach ($f in $files) {
            $f | Should -BeOfType ScanTools.Storage.Finding
            @($f.Matches) | Should -HaveCount 1
            $f.Matches[0].RuleId | Should -Be 'aws-access-key-id'
            $f.Matches[0].FullName | Should -Be $f.FullName
        }
    }

    It 'takes piped rules as the rules whose findings to return (Get-ScanRule | Get-Finding)' {
        # A rule's Path (its own globs, often an empty list) bound -Path: a validation error, or files at the globs.
        $files = @(Get-ScanRule -Id aws-access-key-id | Get-Finding -Database $db -ErrorVariable bindErrors)

        $bindErrors | Should -BeNullOrEmpty
        Join-Sorted $files.FullName | Should -Be (Join-Sorted $aws.Path, $both.Path)
        Join-Sorted (Get-ScanRule -Id aws-access-key-id, github-token | Get-Finding -Database $db).FullName |
            Should -Be (Join-Sorted $aws.Path, $both.Path, $gh.Path, $both.Path)
        @(Get-ScanRule -Id aws-access-key-id | Get-Finding -Database $db -Rule 'github-*') | Should -BeNullOrEmpty -Because 'no finding is of both rules'
        @(Get-ScanRule -Id aws-access-key-id | Get-Finding -Database $db -Rule 'aws-*').FullName | Should -HaveCount 2
    }

    It 'gives a file all its findings of several rules (-Rule with wildcards)' {
        $files = @(Get-Finding -Database $db -Rule 'aws-*', 'github-*')

        Join-Sorted $files.FullName | Should -Be (Join-Sorted $aws.Path, $gh.Path, $both.Path)
        Join-Sorted ($files | Where-Object FullName -EQ $both.Path).Matches.RuleId | Should -Be (Join-Sorted 'aws-access-key-id', 'github-token')
    }

    It 'writes a file''s findings into Export-Csv as rule ids and lines, not as a type name' {
        $csv = Join-Path $TestDrive 'matches.csv'
        Get-Finding -Database $db -Rule 'aws-*', 'github-*' | Export-Csv -LiteralPath $csv
        $row = Import-Csv -LiteralPath $csv | Where-Object FullName -EQ $both.Path
        $expected = (Get-Finding -Database $db -Rule 'aws-*', 'github-*' | Where-Object FullName -EQ $both.Path).Matches |
            ForEach-Object { '{0}:{1}' -f $_.RuleId, $_.Line }
        $row.Matches | Should -Be ($expected -join '; ')
        $row.Matches | Should -Match '^(aws-access-key-id|github-token):\d+; (aws-access-key-id|github-token):\d+$'
    }

    It 'returns only files with findings of exactly -Severity' -Skip:$IsWindows {
        $files = @(Get-Finding -Database $db -Severity Medium)

        @($files.FullName) | Should -Be @($spool)
        @($files.Matches.Severity) | Should -Be @('Medium')
    }

    It 'returns only files with findings of -MinimumSeverity or worse, each with only those in Matches' {
        $files = @(Get-Finding -Database $db -MinimumSeverity High)
        $expected = @($aws.Path, $gh.Path, $both.Path)

        Join-Sorted $files.FullName | Should -Be (Join-Sorted $expected)
        foreach ($m in $files.Matches) { $severityRank[[string]$m.Severity] | Should -BeGreaterOrEqual $severityRank['High'] }
    }

    It 'leaves files alone without a rule filter (every file, no Matches)' {
        $files = @(Get-Finding -Database $db)

        $files.FullName | Should -Contain $plain
        $files.Count | Should -Be (Get-TestFileCount -LiteralPath $root)
        @($files | Where-Object { $_.Matches.Count -gt 0 }) | Should -BeNullOrEmpty
    }

    It 'hides a file whose findings a baseline accepts (-Baseline), and shows it marked with -IncludeBaselined' {
        $baseline = Join-Path $TestDrive 'get-finding-baseline.json'
        Get-FindingMatch -Database $db -LiteralPath $aws.Path | Export-FindingBaseline -Path $baseline -Reason 'accepted'

        $hidden = @(Get-Finding -Database $db -Rule aws-access-key-id -Baseline $baseline)
        $shown = @(Get-Finding -Database $db -Rule aws-access-key-id -Baseline $baseline -IncludeBaselined)

        @($hidden.FullName) | Should -Be @($both.Path)
        Join-Sorted $shown.FullName | Should -Be (Join-Sorted $aws.Path, $both.Path)
        ($shown | Where-Object FullName -EQ $aws.Path).Matches[0].Baselined | Should -BeTrue
        ($shown | Where-Object FullName -EQ $aws.Path).Matches[0].BaselineReason | Should -Be 'accepted'
        { Get-Finding -Database $db -Baseline $baseline } | Should -Throw -ErrorId 'InvalidFilter,ScanTools.Commands.GetFindingCommand'
    }
}

Describe 'New, Open and Resolved' {
    BeforeEach {
        $root = New-TestDirectory -Parent $trees
        $fixed = Write-Planted -Path (Join-Path $root 'a/fixed.txt') -Before 'k=' -Secret (New-AwsKeyId)
        $kept = Write-Planted -Path (Join-Path $root 'a/kept.txt') -Before 'k=' -Secret (New-AwsKeyId)
        $db = New-CatalogPath -Directory $catalogs
        $first = Start-Scan -Path $root -Rule * -Database $db
        $fixedPrint = (Get-FindingMatch -Database $db -LiteralPath $fixed.Path).Fingerprint
    }

    It 'resolves a removed secret on a rescan with its rule, and keeps the others open' {
        Set-Content -LiteralPath $fixed.Path -Value 'k=removed'

        $rescan = Start-Scan -Path $root -Rule aws-access-key-id -Database $db

        $resolved = @(Get-FindingMatch -Database $db -Status Resolved)
        @($resolved.Fingerprint) | Should -Be @($fixedPrint)
        $resolved[0].Status | Should -Be 'Resolved'
        $resolved[0].ResolvedScanId | Should -Be $rescan.Id
        @(Get-FindingMatch -Database $db).FullName | Should -Be @($kept.Path)
        (Get-FindingMatch -Database $db).Status | Should -Be 'Open'
        @(Get-FindingMatch -Database $db -Status New, Open, Resolved) | Should -HaveCount 2
    }

    It 'does not resolve anything on a rescan without rules' {
        Set-Content -LiteralPath $fixed.Path -Value 'k=removed'

        $rescan = Start-Scan -Path $root -Database $db

        $rescan.Status | Should -Be 'Completed'
        @(Get-FindingMatch -Database $db -Status Resolved) | Should -BeNullOrEmpty
        Join-Sorted @(Get-FindingMatch -Database $db).FullName | Should -Be (Join-Sorted $fixed.Path, $kept.Path)
    }

    It 'does not resolve a finding on a rescan with other rules only' {
        Set-Content -LiteralPath $fixed.Path -Value 'k=removed'

        $null = Start-Scan -Path $root -Rule jwt, github-token -Database $db

        @(Get-FindingMatch -Database $db -Status Resolved) | Should -BeNullOrEmpty
    }

    It 'resolves the findings of a deleted file' {
        Remove-Item -LiteralPath $fixed.Path

        $null = Start-Scan -Path $root -Rule * -Database $db

        @(Get-FindingMatch -Database $db -Status Resolved).Fingerprint | Should -Be @($fixedPrint)
    }

    It 'opens a resolved finding again as New when the same secret comes back' {
        Set-Content -LiteralPath $fixed.Path -Value 'k=removed'
        $null = Start-Scan -Path $root -Rule * -Database $db
        [IO.File]::WriteAllText($fixed.Path, 'k=' + $fixed.Secret + "`n")

        $back = Start-Scan -Path $root -Rule * -Database $db

        $again = @(Get-FindingMatch -Database $db -LiteralPath $fixed.Path)
        $again | Should -HaveCount 1
        $again[0].Fingerprint | Should -Be $fixedPrint
        $again[0].Status | Should -Be 'New'
        $again[0].FirstScanId | Should -Be $back.Id
        $again[0].ResolvedScanId | Should -BeNullOrEmpty
    }

    It 'keeps the findings of a file on which a rule timed out (RuleFailed), though its secret is gone' {
        $slowRules = Write-RulesFile (Join-Path $TestDrive 'slow-rules.psd1') "@{ Rules = @( @{ Id = 'slow'; Pattern = '(a+)+`$' } ) }"
        [IO.File]::WriteAllText($fixed.Path, ('a' * 30000) + '!')
        $lastSeen = (Get-FindingMatch -Database $db -LiteralPath $fixed.Path).LastScanId

        $rescan = Start-Scan -Path $root -Rule * -RulePath $slowRules -Database $db -ErrorAction SilentlyContinue

        $rescan.Status | Should -Be 'Completed'
        @(Get-ScanError -Database $db -ScanId $rescan.Id | Where-Object { $_.Kind -eq 'RuleFailed' -and $_.FullName -eq $fixed.Path }) | Should -HaveCount 1
        @(Get-FindingMatch -Database $db -Status Resolved) | Should -BeNullOrEmpty
        (Get-FindingMatch -Database $db -LiteralPath $fixed.Path).LastScanId | Should -Be $lastSeen -Because 'a rule that did not finish did not see the secret again: kept, not seen'
    }

    It 'does not resolve the findings of a file that -Exclude left out (the catalog keeps what it knew of it)' {
        $rescan = Start-Scan -Path $root -Rule * -Exclude 'fixed.txt' -Database $db

        $rescan.Skipped | Should -Be 1
        @(Get-Finding -Database $db -LiteralPath $fixed.Path) | Should -HaveCount 1
        @(Get-FindingMatch -Database $db -Status Resolved) | Should -BeNullOrEmpty -Because 'the secret is still in the file; the scan did not look at it'
    }

    It 'does not resolve the findings of a file that grew past -ContentSizeLimit (the rules did not read it)' {
        [IO.File]::AppendAllText($fixed.Path, 'x' * 5000)

        $null = Start-Scan -Path $root -Rule * -ContentSizeLimit 4000 -Database $db

        @(Get-FindingMatch -Database $db -Status Resolved) | Should -BeNullOrEmpty -Because 'the secret is still in the file; the rules did not read it'
    }

    It 'calls a finding that a later run kept without looking Open, not New' {
        $late = Write-Planted -Path (Join-Path $root 'late.txt') -Before 'k=' -Secret (New-AwsKeyId)
        $null = Start-Scan -Path $root -Rule * -ContentSizeLimit 4000 -Database $db
        @(Get-FindingMatch -Database $db -LiteralPath $late.Path).Status | Should -Be 'New'

        [IO.File]::AppendAllText($late.Path, 'x' * 5000)
        $null = Start-Scan -Path $root -Rule * -ContentSizeLimit 4000 -Database $db

        $kept = @(Get-FindingMatch -Database $db -LiteralPath $late.Path)
        $kept | Should -HaveCount 1
        $kept[0].Status | Should -Be 'Open' -Because 'a run with its rule carried it forward; it is not new to that run'
        @(Get-FindingMatch -Database $db -Status New -LiteralPath $late.Path) | Should -BeNullOrEmpty
        @(Get-FindingMatch -Database $db -Status Open -LiteralPath $late.Path) | Should -HaveCount 1
    }
}

Describe 'Baselines' {
    BeforeAll {
        $root = Join-Path $trees 'baseline'
        $one = Write-Planted -Path (Join-Path $root 'one.txt') -Before 'k=' -Secret (New-AwsKeyId)
        $two = Write-Planted -Path (Join-Path $root 'two.txt') -Before 'k=' -Secret (New-AwsKeyId)
        $three = Write-Planted -Path (Join-Path $root 'three.sh') -Before 'T=' -Secret (New-GitHubToken)
        $db = New-CatalogPath -Directory $catalogs
        $null = Start-Scan -Path $root -Rule * -Database $db
        $print = @{}
        foreach ($m in Get-FindingMatch -Database $db) { $print[$m.FullName] = $m.Fingerprint }
    }

    It 'round-trips: Export-FindingBaseline, then -Baseline hides them and -IncludeBaselined shows them with the reason' {
        $baseline = Join-Path $TestDrive 'round-trip.json'

        Get-FindingMatch -Database $db -LiteralPath $one.Path, $three.Path | Export-FindingBaseline -Path $baseline -Reason 'fixture'
        $hidden = @(Get-FindingMatch -Database $db -Baseline $baseline)
        $shown = @(Get-FindingMatch -Database $db -Baseline $baseline -IncludeBaselined)

        @($hidden.FullName) | Should -Be @($two.Path)
        $hidden[0].Baselined | Should -BeFalse
        $shown | Should -HaveCount 3
        foreach ($m in $shown) {
            $m.Baselined | Should -Be ($m.FullName -ne $two.Path)
            $m.BaselineReason | Should -Be $(if ($m.Baselined) { 'fixture' } else { $null })
        }
    }

    It 'writes the fingerprints, rule ids and paths, and no secret, to the JSON file' {
        $baseline = Join-Path $TestDrive 'content.json'

        Get-FindingMatch -Database $db | Export-FindingBaseline -Path $baseline -Reason 'why'
        $text = Get-Content -Raw -LiteralPath $baseline
        $json = $text | ConvertFrom-Json

        $json.version | Should -Be 1
        Join-Sorted $json.findings.fingerprint | Should -Be (Join-Sorted $print.Values)
        Join-Sorted $json.findings.path | Should -Be (Join-Sorted $print.Keys)
        @($json.findings.reason | Sort-Object -Unique) | Should -Be @('why')
        foreach ($secret in $one.Secret, $two.Secret, $three.Secret) { $text.Contains($secret) | Should -BeFalse }
    }

    It 'keeps the earlier entries and their reasons with -Append, and replaces them without it' {
        $baseline = Join-Path $TestDrive 'append.json'

        Get-FindingMatch -Database $db -LiteralPath $one.Path | Export-FindingBaseline -Path $baseline -Reason 'first'
        Get-FindingMatch -Database $db -LiteralPath $two.Path | Export-FindingBaseline -Path $baseline -Reason 'second' -Append
        $appended = @(Get-FindingMatch -Database $db -Baseline $baseline -IncludeBaselined | Where-Object Baselined)
        $left = @(Get-FindingMatch -Database $db -Baseline $baseline)
        Get-FindingMatch -Database $db -LiteralPath $three.Path | Export-FindingBaseline -Path $baseline
        $replaced = @(Get-FindingMatch -Database $db -Baseline $baseline)

        ($appended | Where-Object FullName -EQ $one.Path).BaselineReason | Should -Be 'first'
        ($appended | Where-Object FullName -EQ $two.Path).BaselineReason | Should -Be 'second'
        @($left.FullName) | Should -Be @($three.Path)
        Join-Sorted $replaced.FullName | Should -Be (Join-Sorted $one.Path, $two.Path)
    }

    It 'keeps an entry''s reason when it is appended again without -Reason' {
        $baseline = Join-Path $TestDrive 'reason-kept.json'
        Get-FindingMatch -Database $db -LiteralPath $one.Path | Export-FindingBaseline -Path $baseline -Reason 'original'

        Get-FindingMatch -Database $db | Export-FindingBaseline -Path $baseline -Append

        (Get-FindingMatch -Database $db -Baseline $baseline -IncludeBaselined -LiteralPath $one.Path).BaselineReason | Should -Be 'original'
        @(Get-FindingMatch -Database $db -Baseline $baseline) | Should -BeNullOrEmpty
    }

    It 'returns the file with -PassThru, and writes nothing with -WhatIf' {
        $baseline = Join-Path $TestDrive 'passthru.json'
        $whatIf = Join-Path $TestDrive 'whatif.json'

        $file = Get-FindingMatch -Database $db | Export-FindingBaseline -Path $baseline -PassThru
        Get-FindingMatch -Database $db | Export-FindingBaseline -Path $whatIf -WhatIf

        $file | Should -BeOfType System.IO.FileInfo
        $file.FullName | Should -Be $baseline
        $file.PSPath | Should -Be (Get-Item -LiteralPath $baseline).PSPath -Because 'it is the file as Get-Item gives it, shown as Get-ChildItem shows it'
        Test-Path -LiteralPath $whatIf | Should -BeFalse
    }

    It 'applies a baseline given through $PSDefaultParameterValues' {
        $baseline = Join-Path $TestDrive 'sticky.json'
        Get-FindingMatch -Database $db -LiteralPath $one.Path | Export-FindingBaseline -Path $baseline
        $PSDefaultParameterValues['Get-FindingMatch:Baseline'] = $baseline
        try {
            $sticky = @(Get-FindingMatch -Database $db)
        }
        finally {
            $PSDefaultParameterValues.Remove('Get-FindingMatch:Baseline')
        }

        $sticky.FullName | Should -Not -Contain $one.Path
        $sticky | Should -HaveCount 2
    }
}

Describe 'Export-FindingMatch' {
    BeforeAll {
        $root = Join-Path $trees 'export'
        $key = Write-Planted -Path (Join-Path $root 'cfg/key.ini') -Before ((Get-RandomFiller) + 'id = ') -Secret (New-AwsKeyId)
        $token = Write-Planted -Path (Join-Path $root 'cfg/name with space,comma.env') -Before ((Get-RandomFiller) + 'T=') -Secret (New-GitHubToken)
        $password = Get-RandomText $alphaNumeric 16
        $null = Write-Planted -Path (Join-Path $root 'cfg/db.conf') -Before 'Server=x;Password=' -Secret $password -After ";`n"
        $internal = 'itk_' + (Get-RandomText 'abcdefghijklmnopqrstuvwxyz0123456789' 20)
        $null = Write-Planted -Path (Join-Path $root 'cfg/internal.txt') -Before 'token ' -Secret $internal
        $spool = New-TestFile -Path (Join-Path $root 'spool.log') -Content 'spool'
        if (-not $IsWindows) { chmod 666 $spool }
        $userRules = Write-RulesFile (Join-Path $TestDrive 'export-rules.psd1') @'
@{
    Rules = @(
        @{
            Id          = 'internal-token'
            Description = 'A token of the internal API'
            Severity    = 'Low'
            Pattern     = '\b(?<secret>itk_[a-z0-9]{20})\b'
        }
    )
}
'@
        $secrets = @($key.Secret, $token.Secret, $password, $internal)
        $db = New-CatalogPath -Directory $catalogs
        $null = Start-Scan -Path $root -Rule * -RulePath $userRules -Database $db
        $matchesFound = @(Get-FindingMatch -Database $db)
        $out = New-TestDirectory -Parent $TestDrive -Name 'exports'
    }

    It 'writes nothing, and keeps the report it had, when every piped object is refused as no finding' {
        $report = Join-Path $out 'kept.sarif'
        $matchesFound | Export-FindingMatch -Path $report
        $before = Get-Content -LiteralPath $report -Raw
        $csv = Join-Path $out 'rows.csv'
        $matchesFound | Export-FindingMatch -Path $csv

        { Import-Csv -LiteralPath $csv | Export-FindingMatch -Path $report -ErrorAction SilentlyContinue } |
            Should -Throw -ErrorId 'NoFindingsPiped,ScanTools.Commands.ExportFindingMatchCommand' -ExpectedMessage "*was not written and keeps what it held*Import-Csv*"

        Get-Content -LiteralPath $report -Raw | Should -Be $before -Because 'an all-refused pipe replaced the report with an empty one, which CI read as nothing found'
        $baseline = Join-Path $out 'never.json'
        $rows = @(1..8 | ForEach-Object { Import-Csv -LiteralPath $csv })
        $rows.Count | Should -BeGreaterThan 6
        $stopped = $null
        try { $rows | Export-FindingBaseline -Path $baseline -ErrorAction SilentlyContinue -ErrorVariable perRow } catch { $stopped = $_ }
        $stopped.FullyQualifiedErrorId | Should -Be 'NoFindingsPiped,ScanTools.Commands.ExportFindingBaselineCommand'
        "$stopped" | Should -BeLike "*None of the $($rows.Count) piped objects*"
        Test-Path -LiteralPath $baseline | Should -BeFalse
        # One error a row, each holding the whole row, made 70 errors of one mistake (newcomer test 74): five, then one for the rest.
        $inputErrors = @($perRow | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] -and $_.FullyQualifiedErrorId -like 'InvalidInput,*' })
        $inputErrors | Should -HaveCount 6
        "$($inputErrors[0])" | Should -BeLike 'A PSCustomObject (a row of Import-Csv*is not a finding*'
        "$($inputErrors[5])" | Should -BeLike '*counted, not each reported*'
        # $null piped (a variable never set) is refused too: it was a binding error, and then an empty report replaced this one.
        $thrown = $null
        try { $null | Export-FindingMatch -Path $report -ErrorVariable nullPiped -ErrorAction SilentlyContinue } catch { $thrown = $_ }
        $thrown.FullyQualifiedErrorId | Should -Be 'NoFindingsPiped,ScanTools.Commands.ExportFindingMatchCommand'
        $nullPiped[0].FullyQualifiedErrorId | Should -Be 'NullPiped,ScanTools.Commands.ExportFindingMatchCommand'
        Get-Content -LiteralPath $report -Raw | Should -Be $before
        { $null | Export-FindingBaseline -Path $baseline -ErrorAction SilentlyContinue } | Should -Throw -ErrorId 'NoFindingsPiped,ScanTools.Commands.ExportFindingBaselineCommand'
        Test-Path -LiteralPath $baseline | Should -BeFalse
        @() | Export-FindingMatch -Path (Join-Path $out 'none.sarif')
        (Get-Content -LiteralPath (Join-Path $out 'none.sarif') -Raw | ConvertFrom-Json).runs[0].results | Should -BeNullOrEmpty -Because 'no findings at all is a report of nothing found'
    }

    It 'writes SARIF 2.1.0 that parses as JSON, with one result per finding' {
        $path = Join-Path $out 'all.sarif'

        $matchesFound | Export-FindingMatch -Path $path
        $sarif = Get-Content -Raw -LiteralPath $path | ConvertFrom-Json

        $matchesFound.Count | Should -BeGreaterThan 4
        $sarif.version | Should -Be '2.1.0'
        $sarif.'$schema' | Should -Match 'sarif-2\.1\.0'
        @($sarif.runs) | Should -HaveCount 1
        $sarif.runs[0].tool.driver.name | Should -Be 'ScanTools'
        @($sarif.runs[0].results) | Should -HaveCount $matchesFound.Count
        Join-Sorted $sarif.runs[0].results.partialFingerprints.'scanToolsFingerprint/v1' | Should -Be (Join-Sorted $matchesFound.Fingerprint)
    }

    It 'gives each SARIF result its rule, level, file URI, line and column' {
        $path = Join-Path $out 'places.sarif'
        $matchesFound | Export-FindingMatch -Path $path
        $results = (Get-Content -Raw -LiteralPath $path | ConvertFrom-Json).runs[0].results
        $level = @{ Critical = 'error'; High = 'error'; Medium = 'warning'; Low = 'note'; Info = 'note' }

        foreach ($m in $matchesFound) {
            $r = @($results | Where-Object { $_.partialFingerprints.'scanToolsFingerprint/v1' -eq $m.Fingerprint })
            $r | Should -HaveCount 1
            $r[0].ruleId | Should -Be $m.RuleId
            $r[0].level | Should -Be $level[[string]$m.Severity]
            $location = $r[0].locations[0].physicalLocation
            [uri]::new($location.artifactLocation.uri).LocalPath | Should -Be $m.FullName
            if ($null -ne $m.Line) {
                $location.region.startLine | Should -Be $m.Line
                $location.region.startColumn | Should -Be $m.Column
                $location.region.snippet.text | Should -Be $m.Excerpt
            }
        }
        $tokenResult = $results | Where-Object ruleId -EQ 'github-token'
        $tokenResult.locations[0].physicalLocation.region.startLine | Should -Be $token.Line
    }

    It 'describes a rule of a rules file in the SARIF rules list only with -RulePath' {
        $with = Join-Path $out 'with-rules.sarif'
        $without = Join-Path $out 'without-rules.sarif'

        $matchesFound | Export-FindingMatch -Path $with -RulePath $userRules
        $matchesFound | Export-FindingMatch -Path $without

        $ruleWith = (Get-Content -Raw -LiteralPath $with | ConvertFrom-Json).runs[0].tool.driver.rules | Where-Object id -EQ 'internal-token'
        $ruleWithout = (Get-Content -Raw -LiteralPath $without | ConvertFrom-Json).runs[0].tool.driver.rules | Where-Object id -EQ 'internal-token'
        $ruleWith.shortDescription.text | Should -Be 'A token of the internal API'
        $ruleWithout | Should -Not -BeNullOrEmpty
        $ruleWithout.shortDescription | Should -BeNullOrEmpty
    }

    It 'writes CSV that Import-Csv reads back with the same fingerprints, paths and places' {
        $path = Join-Path $out 'all.csv'

        $matchesFound | Export-FindingMatch -Path $path
        $rows = @(Import-Csv -LiteralPath $path)

        $rows | Should -HaveCount $matchesFound.Count
        Join-Sorted $rows.Fingerprint | Should -Be (Join-Sorted $matchesFound.Fingerprint)
        foreach ($m in $matchesFound) {
            $row = $rows | Where-Object Fingerprint -EQ $m.Fingerprint
            $row.FullName | Should -Be $m.FullName
            $row.RuleId | Should -Be $m.RuleId
            $row.Line | Should -Be ([string]$m.Line)
            $row.Excerpt | Should -Be ([string]$m.Excerpt)
        }
    }

    It 'never writes a secret to SARIF or CSV' {
        $sarif = Join-Path $out 'secret-check.sarif'
        $csv = Join-Path $out 'secret-check.csv'

        $matchesFound | Export-FindingMatch -Path $sarif
        $matchesFound | Export-FindingMatch -Path $csv

        foreach ($file in $sarif, $csv) {
            $bytes = [IO.File]::ReadAllBytes($file)
            foreach ($secret in $secrets) { Test-BytesContain $bytes $secret | Should -BeFalse -Because "$file must not hold a secret" }
        }
    }

    It 'takes the format from -Format over the extension, and refuses a name that says none' {
        $txt = Join-Path $out 'report.txt'
        $json = Join-Path $out 'report.json'

        { $matchesFound | Export-FindingMatch -Path (Join-Path $out 'report.dat') } | Should -Throw -ErrorId 'UnknownExportFormat,ScanTools.Commands.ExportFindingMatchCommand'
        $matchesFound | Export-FindingMatch -Path $txt -Format Csv
        $matchesFound | Export-FindingMatch -Path $json

        (Get-Content -LiteralPath $txt -TotalCount 1) | Should -BeLike 'Severity,RuleId,FullName,*'
        (Get-Content -Raw -LiteralPath $json | ConvertFrom-Json).version | Should -Be '2.1.0'
    }

    It 'keeps an existing file with -NoClobber, writes nothing with -WhatIf, and returns the file with -PassThru' {
        $path = Join-Path $out 'kept.sarif'
        Set-Content -LiteralPath $path -Value 'earlier'
        $whatIf = Join-Path $out 'whatif.sarif'

        { $matchesFound | Export-FindingMatch -Path $path -NoClobber } | Should -Throw -ErrorId 'FileExists,ScanTools.Commands.ExportFindingMatchCommand'
        $matchesFound | Export-FindingMatch -Path $whatIf -WhatIf
        $file = $matchesFound | Export-FindingMatch -Path (Join-Path $out 'passthru.csv') -PassThru

        (Get-Content -Raw -LiteralPath $path).Trim() | Should -Be 'earlier'
        Test-Path -LiteralPath $whatIf | Should -BeFalse
        $file | Should -BeOfType System.IO.FileInfo
        $file.PSParentPath | Should -Be (Get-Item -LiteralPath $out).PSPath
        $file.Name | Should -Be 'passthru.csv'
    }

    It 'warns when nothing piped replaces a report that held findings, and still writes the empty one (newcomer test 74)' {
        $path = Join-Path $out 'emptied.csv'
        $matchesFound | Export-FindingMatch -Path $path
        @(Get-Content -LiteralPath $path).Count | Should -BeGreaterThan 1

        @() | Export-FindingMatch -Path $path -WarningVariable emptied -WarningAction SilentlyContinue
        @(Get-Content -LiteralPath $path).Count | Should -Be 1 -Because 'the header alone: a CI upload of nothing found'
        "$emptied" | Should -BeLike "*No finding was piped*now holds none*-NoClobber*"

        @() | Export-FindingMatch -Path (Join-Path $out 'new-empty.csv') -WarningVariable fresh -WarningAction SilentlyContinue
        $fresh | Should -BeNullOrEmpty -Because 'a new empty report replaces nothing'
    }

    It 'marks baselined findings as suppressed with the baseline''s reason' {
        $baseline = Join-Path $out 'accepted.json'
        $path = Join-Path $out 'suppressed.sarif'
        Get-FindingMatch -Database $db -LiteralPath $key.Path | Export-FindingBaseline -Path $baseline -Reason 'known test key'

        Get-FindingMatch -Database $db -Baseline $baseline -IncludeBaselined | Export-FindingMatch -Path $path

        $results = (Get-Content -Raw -LiteralPath $path | ConvertFrom-Json).runs[0].results
        $suppressed = @($results | Where-Object suppressions)
        $suppressed | Should -HaveCount 1
        $suppressed[0].ruleId | Should -Be 'aws-access-key-id'
        $suppressed[0].suppressions[0].justification | Should -Be 'known test key'
        $results | Should -HaveCount $matchesFound.Count
    }
}

Describe 'Content limits' {
    It 'does not stall on a catastrophic pattern: the run completes, with a RuleFailed item, and other files are matched' {
        $root = New-TestDirectory -Parent $trees
        $evil = New-TestFile -Path (Join-Path $root 'evil.txt') -Content (('a' * 30000) + '!')
        $key = Write-Planted -Path (Join-Path $root 'key.txt') -Before 'k=' -Secret (New-AwsKeyId)
        $rules = Write-RulesFile (Join-Path $TestDrive 'catastrophic.psd1') @'
@{
    Rules = @(
        @{
            Id      = 'catastrophic'
            Pattern = '(a+)+$'
        }
    )
}
'@
        $db = New-CatalogPath -Directory $catalogs
        $clock = [Diagnostics.Stopwatch]::StartNew()

        $run = Start-Scan -Path $root -Rule * -RulePath $rules -Database $db -ErrorAction SilentlyContinue -ErrorVariable scanErrors

        $clock.Stop()
        $run.Status | Should -Be 'Completed'
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 60
        $items = @(Get-ScanError -Database $db -ScanId $run.Id)
        $items | Should -HaveCount 1
        $items[0].Kind | Should -Be 'RuleFailed'
        $items[0].FullName | Should -Be $evil
        $items[0].Message | Should -Match 'catastrophic'
        @($scanErrors)[0].FullyQualifiedErrorId | Should -Be 'RuleFailed,ScanTools.Commands.StartScanCommand'
        @(Get-FindingMatch -Database $db -Rule aws-access-key-id).FullName | Should -Be @($key.Path)
    }

    It 'keeps the first 1,000 matches of a rule in one file and reports the rest as RuleFailed' {
        $root = New-TestDirectory -Parent $trees
        $count = 1000 + [System.Security.Cryptography.RandomNumberGenerator]::GetInt32(1, 500)
        $many = New-TestFile -Path (Join-Path $root 'many.txt') -Content (-join (1..$count | ForEach-Object { "tok-{0:d5}`n" -f $_ }))
        $rules = Write-RulesFile (Join-Path $TestDrive 'many.psd1') "@{ Rules = @( @{ Id = 'tok'; Severity = 'Info'; Pattern = 'tok-\d{5}' } ) }"
        $db = New-CatalogPath -Directory $catalogs

        $run = Start-Scan -Path $root -RulePath $rules -Database $db -ErrorAction SilentlyContinue

        $found = @(Get-FindingMatch -Database $db -Rule tok)
        $found | Should -HaveCount 1000
        ($found.Line | Measure-Object -Maximum).Maximum | Should -Be 1000
        @(Get-ScanError -Database $db -ScanId $run.Id | Where-Object { $_.Kind -eq 'RuleFailed' -and $_.FullName -eq $many }) | Should -HaveCount 1
    }

    It 'does not read a file larger than -ContentSizeLimit (<Size> bytes over a limit of 4000)' -ForEach @(
        @{ Size = 4001 }
        @{ Size = 4096 }
        @{ Size = 5000 }
    ) {
        $root = New-TestDirectory -Parent $trees
        $small = Write-Planted -Path (Join-Path $root 'small.txt') -Before 'k=' -Secret (New-AwsKeyId) -After ("`n" + ('x' * (4000 - 2 - 20 - 2)) + "`n")
        $big = Write-Planted -Path (Join-Path $root 'big.txt') -Before 'k=' -Secret (New-AwsKeyId) -After ("`n" + ('x' * ($Size - 2 - 20 - 2)) + "`n")
        (Get-Item -LiteralPath $small.Path).Length | Should -Be 4000
        (Get-Item -LiteralPath $big.Path).Length | Should -Be $Size
        $db = New-CatalogPath -Directory $catalogs

        $run = Start-Scan -Path $root -Rule aws-access-key-id -ContentSizeLimit 4000 -Database $db

        @(Get-FindingMatch -Database $db).FullName | Should -Be @($small.Path)
        Invoke-TestSql -Database $db -Sql "SELECT oversized_skipped FROM scan_runs WHERE id = $($run.Id);" | Should -Be 1
        Invoke-TestSql -Database $db -Sql "SELECT content_files FROM scan_runs WHERE id = $($run.Id);" | Should -Be 1
    }

    It 'counts a binary file as left unread (binary_skipped) and reads a text file' {
        $root = New-TestDirectory -Parent $trees
        [IO.File]::WriteAllBytes((Join-Path $root 'nul.bin'), [Text.Encoding]::ASCII.GetBytes("x`0" + (New-AwsKeyId)))
        $null = Write-Planted -Path (Join-Path $root 'text.txt') -Before 'k=' -Secret (New-AwsKeyId)
        $db = New-CatalogPath -Directory $catalogs

        $run = Start-Scan -Path $root -Rule aws-access-key-id -Database $db

        @(Get-FindingMatch -Database $db).Name | Should -Be @('text.txt')
        Invoke-TestSql -Database $db -Sql "SELECT binary_skipped FROM scan_runs WHERE id = $($run.Id);" | Should -Be 1
    }
}

Describe 'Start-Scan rule selection' {
    BeforeAll {
        $root = Join-Path $trees 'selection'
        $key = Write-Planted -Path (Join-Path $root 'k.txt') -Before 'k=' -Secret (New-AwsKeyId)
        $token = Write-Planted -Path (Join-Path $root 't.txt') -Before 't=' -Secret (New-GitHubToken)
        $userRules = Write-RulesFile (Join-Path $TestDrive 'selection-rules.psd1') @'
@{
    Rules = @(
        @{
            Id       = 'k-line'
            Severity = 'Low'
            Pattern  = '^k=(?<secret>\S+)'
        }
    )
}
'@
    }

    It 'leaves out the -ExcludeRule ids (wildcards) from -Rule *' {
        $db = New-CatalogPath -Directory $catalogs

        $run = Start-Scan -Path $root -Rule * -ExcludeRule 'aws-*' -Database $db

        @(Get-FindingMatch -Database $db).RuleId | Should -Be @('github-token')
        ($run.Options | ConvertFrom-Json).RuleIds | Should -Not -Contain 'aws-access-key-id'
    }

    It 'applies only the rules of -RulePath without -Rule, and both with -Rule' {
        $onlyFile = New-CatalogPath -Directory $catalogs
        $both = New-CatalogPath -Directory $catalogs

        $null = Start-Scan -Path $root -RulePath $userRules -Database $onlyFile
        $null = Start-Scan -Path $root -RulePath $userRules -Rule 'k-*', 'aws-*' -Database $both

        @(Get-FindingMatch -Database $onlyFile).RuleId | Should -Be @('k-line')
        Join-Sorted @(Get-FindingMatch -Database $both).RuleId | Should -Be (Join-Sorted 'k-line', 'aws-access-key-id')
    }

    It 'completes -Rule, -ExcludeRule and Get-ScanRule -Id with the built-in rules and those of the -RulePath file on the line (newcomer test 68)' {
        $line = "Start-Scan -Path . -RulePath '$userRules' -Rule k-"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('k-line')
        $line = 'Start-Scan -Path . -ExcludeRule aws'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('aws-access-key-id', 'aws-secret-access-key')
        $line = 'Get-ScanRule -Id github'
        $offered = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches
        $offered.CompletionText | Should -Be @('github-fine-grained-token', 'github-token')
        $offered[1].ToolTip | Should -BeLike 'github-token (High): *'
    }

    It 'warns when -Rule selects none of a -RulePath file''s rules, which then do not run (newcomer test 67), and not when it selects one' {
        $db = New-CatalogPath -Directory $catalogs

        $null = Start-Scan -Path $root -RulePath $userRules -Rule 'aws-*' -Database $db -WarningVariable unselected -WarningAction SilentlyContinue
        $null = Start-Scan -Path $root -RulePath $userRules -Rule 'k-line', 'aws-*' -Database $db -WarningVariable selected -WarningAction SilentlyContinue

        "$unselected" | Should -BeLike "*None of the 1 rule of the -RulePath file '$userRules' is selected by -Rule*(k-line)*-Rule **"
        "$selected" | Should -Not -BeLike '*None of the*'
    }

    It 'refuses a -Rule that matches no rule, and -ExcludeRule alone, with InvalidRules, and scans nothing' {
        $db = New-CatalogPath -Directory $catalogs

        { Start-Scan -Path $root -Rule 'no-such-rule' -Database $db } | Should -Throw -ErrorId 'InvalidRules,ScanTools.Commands.StartScanCommand'
        { Start-Scan -Path $root -ExcludeRule 'jwt' -Database $db } | Should -Throw -ErrorId 'InvalidRules,ScanTools.Commands.StartScanCommand'
        { Start-Scan -Path $root -Rule * -ExcludeRule 'no-such-*' -Database $db } | Should -Throw -ErrorId 'InvalidRules,ScanTools.Commands.StartScanCommand'

        Test-Path -LiteralPath $db | Should -BeFalse
    }

    It 'stores no findings without -Rule or -RulePath' {
        $db = New-CatalogPath -Directory $catalogs

        $run = Start-Scan -Path $root -Database $db

        @(Get-FindingMatch -Database $db) | Should -BeNullOrEmpty
        Invoke-TestSql -Database $db -Sql "SELECT count(*) FROM scan_runs WHERE id = $($run.Id) AND matches IS NULL;" | Should -Be 1
    }
}

Describe 'Property rules' -Skip:$IsWindows {
    BeforeAll {
        $root = Join-Path $trees 'modes'
        $writable = New-TestFile -Path (Join-Path $root 'shared/upload.log') -Content 'spool'
        $setuid = New-TestFile -Path (Join-Path $root 'tools/runner') -Content 'binary'
        $setgid = New-TestFile -Path (Join-Path $root 'tools/grouped') -Content 'binary'
        $ordinary = New-TestFile -Path (Join-Path $root 'tools/ordinary') -Content 'text'
        chmod 644 $ordinary $setuid $setgid
        chmod 666 $writable
        chmod u+s $setuid
        chmod g+s $setgid
        $db = New-CatalogPath -Directory $catalogs
        $null = Start-Scan -Path $root -Rule world-writable-file, setuid-file, setgid-file -Database $db
        $found = @(Get-FindingMatch -Database $db)
    }

    It 'flags a world-writable file (chmod 666) with world-writable-file, and says the mode' {
        $m = @($found | Where-Object RuleId -EQ 'world-writable-file')

        @($m.FullName) | Should -Be @($writable)
        $m[0].Severity | Should -Be $builtinById['world-writable-file'].Severity
        $m[0].Line | Should -BeNullOrEmpty
        $m[0].Excerpt | Should -Be ('mode ' + (Get-Item -LiteralPath $writable).UnixMode)
    }

    It 'flags a set-user-id file (chmod u+s) with setuid-file' {
        @(($found | Where-Object RuleId -EQ 'setuid-file').FullName) | Should -Be @($setuid)
    }

    It 'flags a set-group-id file (chmod g+s) with setgid-file' {
        @(($found | Where-Object RuleId -EQ 'setgid-file').FullName) | Should -Be @($setgid)
    }

    It 'does not flag a file with none of these modes' {
        @($found | Where-Object FullName -EQ $ordinary) | Should -BeNullOrEmpty
    }

    It 'resolves the finding once the mode is fixed' {
        chmod 644 $writable

        $rescan = Start-Scan -Path $root -Rule world-writable-file, setuid-file, setgid-file -Database $db

        $resolved = @(Get-FindingMatch -Database $db -Status Resolved)
        @($resolved.FullName) | Should -Be @($writable)
        $resolved[0].ResolvedScanId | Should -Be $rescan.Id
    }
}

Describe 'Mistakes a user makes with rules and findings' {
    BeforeAll {
        $root = Join-Path $trees 'mistakes'
        $key = Write-Planted -Path (Join-Path $root 'a/key.ini') -Before 'id = ' -Secret (New-AwsKeyId)
        $db = New-CatalogPath -Directory $catalogs
        $run = Start-Scan -Path $root -Rule aws-* -Database $db
        $out = New-TestDirectory -Parent $TestDrive -Name 'mistakes-out'
    }

    It 'warns of a -Rule id that no built-in rule has and no finding comes from (a typo), and of nothing else' {
        @(Get-Finding -Database $db -Rule 'aws-acess-key-id' -WarningVariable typo -WarningAction SilentlyContinue) | Should -BeNullOrEmpty
        "$typo" | Should -BeLike "*No built-in rule has the id 'aws-acess-key-id'*Get-ScanRule*"
        @(Get-FindingMatch -Database $db -Rule 'aws-acess-key-id' -WarningVariable typo2 -WarningAction SilentlyContinue) | Should -BeNullOrEmpty
        $typo2 | Should -HaveCount 1
        $null = Get-FindingMatch -Database $db -Rule 'jwt', 'aws-*', 'GitHub*' -WarningVariable fine -WarningAction SilentlyContinue
        $fine | Should -BeNullOrEmpty -Because 'a built-in rule without findings and wildcards that match rules are fine questions'
        $null = Get-FindingMatch -Database $db -Rule 'asw-*' -WarningVariable wildTypo -WarningAction SilentlyContinue
        "$wildTypo" | Should -BeLike "*No built-in rule id matches 'asw-*'*" -Because 'a mistyped pattern returned nothing without a word'
    }

    It 'refuses an export path of another provider (<Path>) instead of writing into the current folder' -ForEach @(
        @{ Path = 'env:/Report.csv'; Command = 'Export-FindingMatch' }
        @{ Path = 'Function:/X.sarif'; Command = 'Export-FindingMatch' }
        @{ Path = 'env:/X.json'; Command = 'Export-FindingBaseline' }
    ) {
        Push-Location $out
        try {
            $class = (Get-Command $Command).ImplementingType.FullName
            $id = if ($Command -eq 'Export-FindingMatch') { 'InvalidExportPath' } else { 'InvalidBaselinePath' }
            { Get-FindingMatch -Database $db | & $Command -Path $Path } | Should -Throw -ErrorId "$id,$class" -ExpectedMessage '*provider*'
            @(Get-ChildItem -LiteralPath $out) | Should -BeNullOrEmpty
        }
        finally { Pop-Location }
    }

    It 'refuses a <Command> -Path with * or ?, which made a file named *.csv, and writes nothing' -ForEach @(
        @{ Command = 'Export-FindingMatch'; Id = 'InvalidExportPath'; Name = '*.csv' }
        @{ Command = 'Export-FindingBaseline'; Id = 'InvalidBaselinePath'; Name = 'base?.json' }
    ) {
        $folder = New-TestDirectory -Parent $out -Name "wildcard-$Command"
        { Get-FindingMatch -Database $db | & $Command -Path (Join-Path $folder $Name) } | Should -Throw -ErrorId "$Id*" -ExpectedMessage '*holds a wildcard (* or ?)*give the name of the file*'
        @(Get-ChildItem -LiteralPath $folder -Force) | Should -BeNullOrEmpty
        { Export-ScanReport -Database $db -Path (Join-Path $folder 'r*.html') } | Should -Throw -ErrorId 'InvalidDestination*' -ExpectedMessage '*holds a wildcard*'
    }

    It 'says a file is in the way when a folder of the path is a file (<Command>), and writes nothing (newcomer test 72)' -ForEach @(
        @{ Command = 'Export-FindingMatch'; Id = 'InvalidExportPath' }
        @{ Command = 'Export-FindingBaseline'; Id = 'InvalidBaselinePath' }
        @{ Command = 'Export-ScanReport'; Id = 'InvalidDestination' }
        @{ Command = 'Backup-ScanCatalog'; Id = 'InvalidDestination' }
        @{ Command = 'Start-Scan'; Id = 'CatalogFolderNotFound' }
    ) {
        $file = Join-Path $out "plain-file-$Command.txt"
        Set-Content -LiteralPath $file -Value 'not a folder'
        $target = Join-Path $file 'sub' 'x.out'
        $run = switch ($Command) {
            'Export-ScanReport' { { Export-ScanReport -Database $db -Path $target } }
            'Backup-ScanCatalog' { { Backup-ScanCatalog -Database $db -Destination $target } }
            'Start-Scan' { { Start-Scan -Path $out -Database $target } }
            default { { Get-FindingMatch -Database $db | & $Command -Path $target } }
        }
        $run | Should -Throw -ErrorId "$Id*" -ExpectedMessage "*cannot be created: '$file' is a file, not a folder*"
        Get-Content -LiteralPath $file | Should -Be 'not a folder'
    }

    It 'takes the format from the name typed, not from the file a link names' -Skip:$IsWindows {
        $target = Join-Path $out 'link-target.txt'
        Set-Content -LiteralPath $target -Value 'old'
        $link = Join-Path $out 'report-link.csv'
        $null = New-Item -ItemType SymbolicLink -Path $link -Target $target

        Get-FindingMatch -Database $db | Export-FindingMatch -Path $link

        (Get-Item -LiteralPath $link).LinkType | Should -Be 'SymbolicLink'
        (Get-Content -LiteralPath $target -First 1) | Should -BeLike 'Severity,RuleId,FullName,*' -Because 'the CSV header, where UnknownExportFormat was'
    }

    It 'says a folder given as the export path is a folder, whatever its name' {
        $folder = New-TestDirectory -Parent $out -Name 'a-folder'
        { Get-FindingMatch -Database $db | Export-FindingMatch -Path $folder } | Should -Throw -ErrorId 'InvalidExportPath*' -ExpectedMessage '*is a folder*'
    }

    It 'says the folder of the export path does not exist (<Command>), naming the path, and writes nothing' -ForEach @(
        @{ Command = 'Export-FindingMatch'; Id = 'InvalidExportPath'; Name = 'x.sarif' }
        @{ Command = 'Export-FindingBaseline'; Id = 'InvalidBaselinePath'; Name = 'x.json' }
    ) {
        $missing = Join-Path $out "no-such-folder-$Command"
        { Get-FindingMatch -Database $db | & $Command -Path (Join-Path $missing $Name) } | Should -Throw -ErrorId "$Id*" -ExpectedMessage "The folder of '$missing/$Name' does not exist. Create it first*"
        Test-Path -LiteralPath $missing | Should -BeFalse
    }

    It 'refuses to write <Command> over the catalog it reads, or its -wal or lock file, even through a link, and leaves the catalog whole' -ForEach @(
        @{ Command = 'Export-FindingMatch'; Id = 'InvalidExportPath'; Format = @{ Format = 'Sarif' } }
        @{ Command = 'Export-FindingBaseline'; Id = 'InvalidBaselinePath'; Format = @{} }
    ) {
        $before = @(Get-FindingMatch -Database $db).Count
        $link = Join-Path $out "link-to-catalog-$Command.sarif"
        $null = New-Item -ItemType SymbolicLink -Path $link -Target $db
        foreach ($target in $db, "$db-wal", "$db-scantools.lock", $link) {
            { Get-FindingMatch -Database $db | & $Command -Path $target @Format } | Should -Throw -ErrorId "$Id*" -ExpectedMessage '*catalog*Choose another*'
        }
        @(Get-FindingMatch -Database $db).Count | Should -Be $before
        @(Get-ScanRun -Database $db).Count | Should -BeGreaterThan 0
    }

    It 'refuses a FIFO or a device as the <Command> -Path, which the written file would replace, and leaves it' -ForEach @(
        @{ Command = 'Export-FindingMatch'; Id = 'InvalidExportPath'; Format = @{ Format = 'Csv' } }
        @{ Command = 'Export-FindingBaseline'; Id = 'InvalidBaselinePath'; Format = @{} }
    ) -Skip:$IsWindows {
        $fifo = Join-Path $out "fifo-$Command"
        mkfifo $fifo
        foreach ($target in $fifo, '/dev/null') {
            { Get-FindingMatch -Database $db | & $Command -Path $target @Format } | Should -Throw -ErrorId "$Id*" -ExpectedMessage '*not a regular file*'
        }
        stat -c %F $fifo | Should -Be 'fifo' # (PowerShell's UnixMode shows a FIFO as a file)
        stat -c %F /dev/null | Should -Be 'character special file'
    }

    It 'warns when files piped in carry no findings (<Command> of a plain Get-Finding), instead of writing an empty file without a word' -ForEach @(
        @{ Command = 'Export-FindingMatch'; Name = 'plain.csv' }
        @{ Command = 'Export-FindingBaseline'; Name = 'plain.json' }
    ) {
        $files = @(Get-Finding -Database $db)
        $files.Count | Should -BeGreaterThan 0
        $target = Join-Path $out $Name
        $files | & $Command -Path $target -WarningVariable warned 3>$null
        $warned | Should -HaveCount 1
        "$warned" | Should -BeLike "$($files.Count) file(s) piped in carried no findings*-Rule, -Severity or -MinimumSeverity*Get-FindingMatch*"
        Get-FindingMatch -Database $db | & $Command -Path $target -WarningVariable quiet 3>$null
        $quiet | Should -BeNullOrEmpty
    }

    It 'exports the findings that files from Get-Finding -Rule carry' {
        $csv = Join-Path $out 'from-files.csv'
        Get-Finding -Database $db -Rule * | Export-FindingMatch -Path $csv
        @(Import-Csv -LiteralPath $csv).Fingerprint | Should -Be @(Get-FindingMatch -Database $db).Fingerprint
    }

    It 'keeps a baseline that lists findings when none come through the pipe, unless -Force (a mistyped -Rule emptied it)' {
        $baseline = Join-Path $out 'kept.json'
        Get-FindingMatch -Database $db | Export-FindingBaseline -Path $baseline -Reason 'accepted'
        $before = Get-Content -LiteralPath $baseline -Raw
        $accepted = @(Get-FindingMatch -Database $db).Count

        Get-FindingMatch -Database $db -Rule 'no-such-rule' | Export-FindingBaseline -Path $baseline -ErrorVariable refused -ErrorAction SilentlyContinue

        $refused | Should -HaveCount 1
        $refused[0].FullyQualifiedErrorId | Should -Be 'NoFindingsPiped,ScanTools.Commands.ExportFindingBaselineCommand'
        "$refused" | Should -BeLike "*($accepted accepted finding*-Force*"
        Get-Content -LiteralPath $baseline -Raw | Should -Be $before
        Get-FindingMatch -Database $db -Rule 'no-such-rule' | Export-FindingBaseline -Path $baseline -Append -WarningVariable appended 3>$null
        "$appended" | Should -BeLike '*No findings came through the pipeline*left as it was*'
        Get-Content -LiteralPath $baseline -Raw | Should -Be $before -Because '-Append with nothing to add does not rewrite the file'
        Get-FindingMatch -Database $db -Rule 'no-such-rule' | Export-FindingBaseline -Path $baseline -Force
        (Get-Content -LiteralPath $baseline -Raw | ConvertFrom-Json).findings | Should -BeNullOrEmpty
    }

    It 'keeps the mode of a report or baseline it replaces, and replaces a read-only one only with -Force' -Skip:$IsWindows {
        $report = Join-Path $out 'private.sarif'
        $baseline = Join-Path $out 'private-baseline.json'
        Get-FindingMatch -Database $db | Export-FindingMatch -Path $report
        Get-FindingMatch -Database $db | Export-FindingBaseline -Path $baseline
        chmod 600 $report $baseline

        Get-FindingMatch -Database $db | Export-FindingMatch -Path $report
        Get-FindingMatch -Database $db | Export-FindingBaseline -Path $baseline -Append

        (Get-Item -LiteralPath $report).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite') -Because 'a private report stays private (the rename gave it the umask''s 644)'
        (Get-Item -LiteralPath $baseline).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite')

        chmod 444 $report $baseline
        $reportBefore = Get-Content -LiteralPath $report -Raw
        $baselineBefore = Get-Content -LiteralPath $baseline -Raw
        { Get-FindingMatch -Database $db -Rule aws-* | Export-FindingMatch -Path $report } | Should -Throw -ErrorId 'FileIsReadOnly,ScanTools.Commands.ExportFindingMatchCommand' -ExpectedMessage '*read-only (mode 444)*-Force*'
        { Get-FindingMatch -Database $db | Export-FindingBaseline -Path $baseline -Append } | Should -Throw -ErrorId 'FileIsReadOnly,ScanTools.Commands.ExportFindingBaselineCommand' -ExpectedMessage '*read-only*-Force*'
        Get-Content -LiteralPath $report -Raw | Should -Be $reportBefore -Because 'root could write it, but the mode says no'
        Get-Content -LiteralPath $baseline -Raw | Should -Be $baselineBefore

        Get-FindingMatch -Database $db | Export-FindingMatch -Path $report -Format Csv -Force
        (Import-Csv -LiteralPath $report).Count | Should -Be @(Get-FindingMatch -Database $db).Count -Because 'with -Force the read-only file is replaced'
        (Get-Item -LiteralPath $report).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, GroupRead, OtherRead') -Because 'replaced with -Force, it is still read-only'
    }

    It 'replaces the file a symbolic link names, keeping the link, and keeps the owner and group root may give' -Skip:$IsWindows {
        $dated = Join-Path $out 'report-2026-12-01.csv'
        $latest = Join-Path $out 'latest.csv'
        'old' | Set-Content -LiteralPath $dated
        $null = New-Item -ItemType SymbolicLink -Path $latest -Target $dated

        Get-FindingMatch -Database $db | Export-FindingMatch -Path $latest

        (Get-Item -LiteralPath $latest).LinkType | Should -Be 'SymbolicLink' -Because 'the link was replaced by a plain file, and its target kept the old content'
        (Import-Csv -LiteralPath $dated).Count | Should -Be @(Get-FindingMatch -Database $db).Count
        # Another account's link (a shared folder) is not followed: a root job would write wherever it pointed.
        $planted = Join-Path $out 'planted-by-other.csv'
        $victim = Join-Path $out 'victim.txt'
        'precious' | Set-Content -LiteralPath $victim
        $null = New-Item -ItemType SymbolicLink -Path $planted -Target $victim
        if ((id -u) -eq '0') {
            chown -h nobody $planted
            Get-FindingMatch -Database $db | Export-FindingMatch -Path $planted
            Get-Content -LiteralPath $victim | Should -Be 'precious' -Because 'another account''s link steered root''s export onto its target'
            (Get-Item -LiteralPath $planted).LinkType | Should -BeNullOrEmpty -Because 'the link itself is replaced by the report'
        }
        if ((id -u) -eq '0') {
            chown nobody:nogroup $dated
            chmod 640 $dated
            Get-FindingMatch -Database $db | Export-FindingMatch -Path $dated
            (stat -c '%U:%G %a' $dated) | Should -Be 'nobody:nogroup 640' -Because 'a report shared through its group lost its readers'
        }
    }

    It 'does not replace a baseline with a report (.json means SARIF) unless -Force' {
        $baseline = Join-Path $out 'accepted.json'
        Get-FindingMatch -Database $db | Export-FindingBaseline -Path $baseline
        $before = Get-Content -LiteralPath $baseline -Raw

        { Get-FindingMatch -Database $db | Export-FindingMatch -Path $baseline } | Should -Throw -ErrorId 'FileIsBaseline,ScanTools.Commands.ExportFindingMatchCommand' -ExpectedMessage '*is a ScanTools baseline*-Force*'

        Get-Content -LiteralPath $baseline -Raw | Should -Be $before
        Get-FindingMatch -Database $db | Export-FindingMatch -Path $baseline -Force
        (Get-Content -LiteralPath $baseline -Raw | ConvertFrom-Json).runs | Should -Not -BeNullOrEmpty
    }

    It 'does not replace a file that is not a baseline (a rules file given by mistake) unless -Force' {
        $rules = Join-Path $out 'my-rules.psd1'
        "@{ Rules = @() }" | Set-Content -LiteralPath $rules
        $before = Get-Content -LiteralPath $rules -Raw

        Get-FindingMatch -Database $db | Export-FindingBaseline -Path $rules -ErrorVariable refused -ErrorAction SilentlyContinue

        $refused | Should -HaveCount 1
        $refused[0].FullyQualifiedErrorId | Should -Be 'FileIsNotBaseline,ScanTools.Commands.ExportFindingBaselineCommand'
        "$refused" | Should -BeLike '*is not a ScanTools baseline*-Force*'
        Get-Content -LiteralPath $rules -Raw | Should -Be $before
        Get-FindingMatch -Database $db | Export-FindingBaseline -Path $rules -Force
        (Get-Content -LiteralPath $rules -Raw | ConvertFrom-Json).findings | Should -Not -BeNullOrEmpty
    }

    It 'adds nothing to a file that is not a baseline with -Append, and says what to do' {
        $notes = Join-Path $out 'notes.txt'
        'my notes' | Set-Content -LiteralPath $notes

        Get-FindingMatch -Database $db | Export-FindingBaseline -Path $notes -Append -ErrorVariable refused -ErrorAction SilentlyContinue

        $refused | Should -HaveCount 1
        $refused[0].FullyQualifiedErrorId | Should -Be 'FileIsNotBaseline,ScanTools.Commands.ExportFindingBaselineCommand'
        "$refused" | Should -BeLike '*nothing was added*leave out -Append and add -Force*'
        Get-Content -LiteralPath $notes | Should -Be 'my notes'

        $empty = Join-Path $out 'empty-baseline.json'
        $null = New-Item -ItemType File -Path $empty
        Get-FindingMatch -Database $db | Export-FindingBaseline -Path $empty -Append
        @(Get-FindingMatch -Database $db -Baseline $empty) | Should -BeNullOrEmpty -Because 'an empty file is a new baseline to append to'
    }

    It 'says why a file is not a baseline it reads: a newer version is not a rules file' {
        $newer = Join-Path $out 'newer.json'
        '{"version":2,"tool":"ScanTools","findings":[]}' | Set-Content -LiteralPath $newer
        Get-FindingMatch -Database $db | Export-FindingBaseline -Path $newer -ErrorVariable refused -ErrorAction SilentlyContinue
        $refused[0].FullyQualifiedErrorId | Should -Be 'FileIsNotBaseline,ScanTools.Commands.ExportFindingBaselineCommand'
        "$refused" | Should -BeLike '*baseline of version 2*'
    }

    It 'keeps every finding when runspaces and processes append to one baseline at once' {
        $tree = Join-Path $TestDrive 'many-secrets'
        $null = New-Item -ItemType Directory -Path $tree
        foreach ($i in 1..48) { "db_password=Pass$(Get-Random -Minimum 100000 -Maximum 999999)x$i" | Set-Content -LiteralPath (Join-Path $tree "s$i.env") }
        $manyDb = New-CatalogPath -Directory $catalogs
        $null = Start-Scan -Path $tree -Database $manyDb -Rule connection-string-password
        $all = @(Get-FindingMatch -Database $manyDb)
        $all | Should -HaveCount 48
        $baseline = Join-Path $out 'concurrent.json'

        $all[0..31] | ForEach-Object -ThrottleLimit 8 -Parallel {
            Import-Module $using:modulePath
            $_ | Export-FindingBaseline -Path $using:baseline -Append
        }
        $jobs = foreach ($k in 0..3) {
            Start-Job -ScriptBlock {
                param($module, $db, $path, $skip)
                Import-Module $module
                Get-FindingMatch -Database $db | Select-Object -Skip $skip -First 4 | ForEach-Object { $_ | Export-FindingBaseline -Path $path -Append }
            } -ArgumentList $modulePath, $manyDb, $baseline, (32 + 4 * $k)
        }
        $null = $jobs | Wait-Job | Receive-Job
        $jobs | Remove-Job

        $kept = (Get-Content -LiteralPath $baseline -Raw | ConvertFrom-Json).findings
        Join-Sorted $kept.fingerprint | Should -Be (Join-Sorted $all.Fingerprint) -Because 'no append may overwrite another''s'
    }

    It 'writes a finding piped twice once' {
        $sarif = Join-Path $out 'twice.sarif'
        $found = @(Get-FindingMatch -Database $db)
        $found.Count | Should -BeGreaterThan 0
        @($found; $found) | Export-FindingMatch -Path $sarif
        $results = (Get-Content -LiteralPath $sarif -Raw | ConvertFrom-Json).runs[0].results
        @($results).Count | Should -Be $found.Count
    }

    It 'refuses -ExcludeRule that leaves no rule, rather than scanning without rules' {
        { Start-Scan -Path $root -Rule aws-* -ExcludeRule * -Database $db } | Should -Throw -ErrorId 'InvalidRules*' -ExpectedMessage '*No rule is left*'
        @(Get-ScanRun -Database $db).Count | Should -Be 1
    }

    It 'refuses a -RulePath file without rules, and says so rather than blaming -ExcludeRule' {
        $empty = Join-Path $out 'empty-rules.psd1'
        Set-Content -LiteralPath $empty -Value '@{ Rules = @() }'
        { Start-Scan -Path $root -RulePath $empty -Database $db } | Should -Throw -ErrorId 'InvalidRules*' -ExpectedMessage "*'$empty' holds no rules*"
        @(Get-ScanRun -Database $db).Count | Should -Be 1
    }

    It 'warns that -ContentSizeLimit changes nothing in a scan without rules' {
        $scratch = Join-Path $out 'no-rules.db'
        $null = Start-Scan -Path $root -ContentSizeLimit 1MB -Database $scratch -WarningVariable warned -WarningAction SilentlyContinue
        $warned.Count | Should -Be 1
        "$($warned[0])" | Should -BeLike '*-ContentSizeLimit*changes nothing*'
        $null = Start-Scan -Path $root -Rule private-key -ContentSizeLimit 1MB -Database $scratch -WarningVariable none -WarningAction SilentlyContinue
        $none.Count | Should -Be 0
    }

    It 'reports a -ScanId the catalog does not hold' {
        $missing = $run.Id + 1000
        $found = Get-FindingMatch -Database $db -ScanId $missing -ErrorVariable problems -ErrorAction SilentlyContinue
        $found | Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'InvalidFilter*'
        $problems[0].TargetObject | Should -Be $missing
    }

    It 'says -RulePath takes no wildcards, and how to pass every file a pattern matches' {
        $folder = New-TestDirectory -Parent $TestDrive -Name 'wild-rules'
        $one = Write-RulesFile (Join-Path $folder 'r-one.psd1') "@{ Rules = @( @{ Id = 'wild-one'; Pattern = 'zzz-one' } ) }"
        $two = Write-RulesFile (Join-Path $folder 'r-two.psd1') "@{ Rules = @( @{ Id = 'wild-two'; Pattern = 'zzz-two' } ) }"
        $pattern = Join-Path $folder 'r-*.psd1'
        { Get-ScanRule -RulePath $pattern } | Should -Throw -ErrorId 'InvalidRules*' -ExpectedMessage '*without wildcards*Resolve-Path*'
        Join-Sorted @(Get-ScanRule -RulePath (Resolve-Path $pattern) -ExcludeBuiltin).Id | Should -Be (Join-Sorted 'wild-one', 'wild-two')
    }

    It 'accepts the same rules file given twice' {
        $file = Write-RulesFile (Join-Path $TestDrive 'twice.psd1') "@{ Rules = @( @{ Id = 'twice'; Pattern = 'zzz-never' } ) }"
        @(Get-ScanRule -RulePath $file, $file -ExcludeBuiltin).Id | Should -Be 'twice'
    }

    It 'refuses a rule that could never match (<Case>)' -ForEach @(
        @{ Case = 'MinimumSize above MaximumSize'; Text = "@{ Rules = @( @{ Id = 'r'; MinimumSize = 10; MaximumSize = 5 } ) }"; Message = '*larger than MaximumSize*' }
        @{ Case = 'empty Pattern'; Text = "@{ Rules = @( @{ Id = 'r'; Pattern = '' } ) }"; Message = '*Pattern is empty*' }
        @{ Case = 'Pattern matching empty text'; Text = "@{ Rules = @( @{ Id = 'r'; Pattern = 'x*' } ) }"; Message = '*matches empty text*' }
        @{ Case = 'MaximumFileSize 0'; Text = "@{ Rules = @( @{ Id = 'r'; Pattern = 'x'; MaximumFileSize = 0 } ) }"; Message = '*MaximumFileSize is 0*' }
        @{ Case = 'MaximumFileSize above what the rules ever read'; Text = "@{ Rules = @( @{ Id = 'r'; Pattern = 'x'; MaximumFileSize = 5GB } ) }"; Message = '*MaximumFileSize is 5,368,709,120 bytes*at most 1,073,741,791*Give 1GB or less*' }
        @{ Case = 'an Id with a letter outside ASCII'; Text = "@{ Rules = @( @{ Id = 'cl$([char]0xE9)'; Pattern = 'x' } ) }"; Message = '*ASCII letters*' }
    ) {
        $file = Write-RulesFile (Join-Path $TestDrive "never-$([guid]::NewGuid()).psd1") $Text
        { Get-ScanRule -RulePath $file } | Should -Throw -ErrorId 'InvalidRules*' -ExpectedMessage $Message
    }

    It 'refuses a Pattern over 32,768 characters, which .NET could not compile without overflowing the stack, saying how to split it' {
        # 200,000 alternatives (2.6 MB) ended the process with a stack overflow at the scan's first file.
        $words = (1..40000 | ForEach-Object { "word$_" }) -join '|'
        $file = Write-RulesFile (Join-Path $TestDrive 'huge-pattern.psd1') "@{ Rules = @( @{ Id = 'huge'; Pattern = '(?:$words)' } ) }"
        { Get-ScanRule -RulePath $file } | Should -Throw -ErrorId 'InvalidRules*' -ExpectedMessage '*Pattern is * characters long; at most 32,768*Keywords*'
        $limit = Write-RulesFile (Join-Path $TestDrive 'limit-pattern.psd1') "@{ Rules = @( @{ Id = 'limit'; Pattern = 'a$('b' * 32766)c' } ) }"
        (Get-ScanRule -RulePath $limit -ExcludeBuiltin).Pattern.Length | Should -Be 32768
    }

    It 'takes a MaximumFileSize of 1GB, the most a rule may ask' {
        $file = Write-RulesFile (Join-Path $TestDrive 'gb.psd1') "@{ Rules = @( @{ Id = 'gb'; Pattern = 'x'; MaximumFileSize = 1GB } ) }"
        (Get-ScanRule -RulePath $file -Id gb).MaximumFileSize | Should -Be 1GB
        { Start-Scan -Path $TestDrive -Database (Join-Path $TestDrive 'never.db') -Rule * -ContentSizeLimit 2GB } | Should -Throw -ErrorId 'ParameterArgumentValidationError*' -ExpectedMessage '*1073741824*'
    }

    It 'takes 1.5KB as 1536 bytes' {
        $file = Write-RulesFile (Join-Path $TestDrive 'kb.psd1') "@{ Rules = @( @{ Id = 'kb'; Pattern = 'x'; MaximumFileSize = 1.5KB } ) }"
        (Get-ScanRule -RulePath $file -Id kb).MaximumFileSize | Should -Be 1536
    }
}
