# Start-Scan -Hash on a rescan, -Rehash, ignore files and -OneFileSystem, as a user meets them.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $canMount = $IsLinux -and (Test-IsRoot) -and (Get-Command mount -ErrorAction SilentlyContinue)
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ScanToolsTestModulePath) -Force
    $catalogs = Join-Path $TestDrive 'catalogs'
    $null = New-Item -ItemType Directory -Path $catalogs -Force
    $cmdlet = 'ScanTools.Commands.StartScanCommand'

    function Get-VerboseText([scriptblock] $Command) {
        "$(& $Command 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })"
    }
}

Describe 'Start-Scan -Hash on a rescan' -Skip:(-not $IsLinux) {
    BeforeAll {
        $root = Join-Path $TestDrive 'hashed'
        $null = New-TestTree -Path $root -Folders 2 -FilesPerFolder 5
        $files = @(Get-ChildItem -LiteralPath $root -Recurse -File -Force).Count
        $db = New-CatalogPath -Directory $catalogs
        $first = Get-VerboseText { Start-Scan -Path $root -Database $db -Hash -Verbose }
        $second = Get-VerboseText { Start-Scan -Path $root -Database $db -Hash -Verbose }
    }

    It 'reads every file the first time and none the second' {
        $first | Should -BeLike "*Hashed $files files*"
        $second | Should -BeLike "*Hashed 0 files (0 B read); kept the stored hash of $files unchanged files*"
    }

    It 'keeps hashes that equal Get-FileHash' {
        foreach ($f in Get-Finding -Database $db) {
            $f.Sha256 | Should -Be (Get-FileHash -LiteralPath $f.FullName -Algorithm SHA256).Hash
        }
    }

    It 'reads a changed file again, and only that one' {
        $changed = (Get-ChildItem -LiteralPath $root -Recurse -File | Select-Object -First 1).FullName
        Add-Content -LiteralPath $changed -Value 'more'
        $text = Get-VerboseText { Start-Scan -Path $root -Database $db -Hash -Verbose }
        $text | Should -BeLike '*Hashed 1 file (*'
        (Get-Finding -Database $db -LiteralPath $changed).Sha256 | Should -Be (Get-FileHash -LiteralPath $changed -Algorithm SHA256).Hash
    }

    It 'reads everything with -Rehash' {
        $text = Get-VerboseText { Start-Scan -Path $root -Database $db -Rehash -Verbose }
        $text | Should -BeLike "*Hashed $files files*kept the stored hash of 0 *"
    }
}

Describe 'Start-Scan ignore rules' {
    BeforeAll {
        $root = Join-Path $TestDrive 'ignored'
        $null = New-TestFile -Path (Join-Path $root '.gitignore') -Content "*.log`nbuild/`n!keep.log`n"
        foreach ($f in 'a.txt', 'a.log', 'keep.log', 'build/out.bin', 'src/b.txt', 'src/b.log') {
            $null = New-TestFile -Path (Join-Path $root $f) -Content $f
        }
        $null = New-TestFile -Path (Join-Path $root 'src/.gitignore') -Content "b.txt`n"
    }

    It 'honours .gitignore files found in the tree, deeper ones too, and counts what it left out' {
        $db = New-CatalogPath -Directory $catalogs
        $run = Start-Scan -Path $root -Database $db -IgnoreFileName .gitignore
        $recorded = (Get-Finding -Database $db).FullName | ForEach-Object { [IO.Path]::GetRelativePath($root, $_) -replace '\\', '/' }
        Join-Sorted $recorded | Should -Be (Join-Sorted '.gitignore', 'a.txt', 'keep.log', 'src/.gitignore')
        $run.Skipped | Should -Be 4   # a.log, build/, src/b.txt, src/b.log
    }

    It 'applies an -IgnoreFile at the root of every folder scanned' {
        $rules = New-TestFile -Path (Join-Path $TestDrive 'site.ignore') -Content "*.txt`n"
        $db = New-CatalogPath -Directory $catalogs
        $null = Start-Scan -Path $root -Database $db -IgnoreFile $rules
        (Get-Finding -Database $db).Name | Where-Object { $_ -like '*.txt' } | Should -BeNullOrEmpty
    }

    It 'applies an anchored wildcard rule such as /*.log at the top only, as git does, with <Given>' -Skip:(-not (Get-Command git -ErrorAction SilentlyContinue)) -ForEach @(
        @{ Given = '-IgnoreFileName' }
        @{ Given = '-IgnoreFile' }
    ) {
        $tree = New-TestDirectory -Parent $TestDrive
        foreach ($f in 'x.log', 'doc/y.log', 'doc/deeper/z.log', 'a1/f', 'doc/a2', 'top/x', 'top/mid/x', 'c.c', 'doc/c.c', 'doc/sub/c.c') {
            $null = New-TestFile -Path (Join-Path $tree $f) -Content $f
        }
        $rules = "/*.log`n/a*`n/*/x`ndoc/*.c`n"
        $null = git -C $tree init -q
        if ($Given -eq '-IgnoreFileName') {
            $null = New-TestFile -Path (Join-Path $tree '.gitignore') -Content $rules
            $expected = git -C $tree ls-files -o --exclude-standard
            $db = New-CatalogPath -Directory $catalogs
            $null = Start-Scan -Path $tree -Database $db -IgnoreFileName .gitignore -Exclude .git
        }
        else {
            $ruleFile = New-TestFile -Path (Join-Path $TestDrive "anchored-$([guid]::NewGuid().ToString('N')).ignore") -Content $rules
            $expected = git -C $tree -c "core.excludesFile=$ruleFile" ls-files -o --exclude-standard
            $db = New-CatalogPath -Directory $catalogs
            $null = Start-Scan -Path $tree -Database $db -IgnoreFile $ruleFile -Exclude .git
        }
        @($expected) | Should -Contain 'doc/y.log' -Because 'git keeps a .log below the top'
        $recorded = (Get-Finding -Database $db).FullName | ForEach-Object { [IO.Path]::GetRelativePath($tree, $_) -replace '\\', '/' }
        Join-Sorted $recorded | Should -Be (Join-Sorted $expected)
    }

    It 'stops before scanning when an -IgnoreFile is missing' {
        $db = New-CatalogPath -Directory $catalogs
        { Start-Scan -Path $root -Database $db -IgnoreFile (Join-Path $TestDrive 'nope.ignore') } |
            Should -Throw -ErrorId "InvalidScanOptions,$cmdlet" -ExpectedMessage '*does not exist*'
        Test-Path -LiteralPath $db | Should -BeFalse
    }

    It 'stops before scanning when an -IgnoreFile has a rule that cannot work' {
        $bad = New-TestFile -Path (Join-Path $TestDrive 'bad.ignore') -Content "[unclosed`n"
        $db = New-CatalogPath -Directory $catalogs
        { Start-Scan -Path $root -Database $db -IgnoreFile $bad } | Should -Throw -ErrorId "InvalidScanOptions,$cmdlet" -ExpectedMessage '*cannot work*'
    }

    It 'reports a broken rule in a found ignore file as InvalidIgnoreRule and applies the rest' {
        $tree = Join-Path $TestDrive 'broken'
        $null = New-TestFile -Path (Join-Path $tree '.ignore') -Content "*.tmp`n[unclosed`n"
        $null = New-TestFile -Path (Join-Path $tree 'x.tmp') -Content 'x'
        $db = New-CatalogPath -Directory $catalogs
        $run = Start-Scan -Path $tree -Database $db -IgnoreFileName .ignore -ErrorVariable scanErrors -ErrorAction SilentlyContinue
        $scanErrors[0].FullyQualifiedErrorId | Should -Be "InvalidIgnoreRule,$cmdlet"
        (Get-Finding -Database $db).Name | Should -Be '.ignore'
        $run.Errors | Should -Be 1
    }
}

Describe 'Start-Scan -OneFileSystem' -Skip:(-not $canMount) {
    BeforeAll {
        $root = Join-Path $TestDrive 'onefs'
        $null = New-TestFile -Path (Join-Path $root 'here.txt') -Content 'x'
        $mount = Join-Path $root 'mnt'
        $null = New-Item -ItemType Directory -Path $mount
        mount -t tmpfs -o size=1m tmpfs $mount
        $null = New-TestFile -Path (Join-Path $mount 'elsewhere.txt') -Content 'y'
    }
    AfterAll {
        umount $mount
    }

    It 'does not enter a file system mounted inside the tree, and counts it skipped' {
        $db = New-CatalogPath -Directory $catalogs
        $run = Start-Scan -Path $root -Database $db -OneFileSystem
        (Get-Finding -Database $db).Name | Should -Be 'here.txt'
        $run.Skipped | Should -Be 1
    }

    It 'enters it when it is also given as a folder to scan' {
        $db = New-CatalogPath -Directory $catalogs
        $null = Start-Scan -Path $root, $mount -Database $db -OneFileSystem
        Join-Sorted (Get-Finding -Database $db).FullName | Should -Be (Join-Sorted (Get-ChildItem -LiteralPath $root -Recurse -File -Force).FullName)
    }

    It 'enters it without the switch' {
        $db = New-CatalogPath -Directory $catalogs
        $null = Start-Scan -Path $root -Database $db
        Join-Sorted (Get-Finding -Database $db).Name | Should -Be (Join-Sorted 'elsewhere.txt', 'here.txt')
    }
}
