# Faults users of file scanners met in the field, as a user meets them in pwsh: one odd value fails one
# item, a digest describes the bytes read, hard links are one file, empty and read-only catalogs say what
# they are. The engine side of each case is in tests/ScanTools.Tests/Scanning/FieldFaultTests.cs.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    # tmpfs keeps times that ext4 would clamp; the year-11476 case needs one.
    $tmpfs = if ($IsLinux -and (Test-Path -LiteralPath /dev/shm)) { '/dev/shm' } else { $null }
    $canMount = $IsLinux -and (Test-IsRoot) -and (Get-Command mount -ErrorAction SilentlyContinue)
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ScanToolsTestModulePath) -Force

    $catalogs = Join-Path $TestDrive 'catalogs'
    $null = New-Item -ItemType Directory -Path $catalogs -Force
    $scan = 'ScanTools.Commands.StartScanCommand'
    $find = 'ScanTools.Commands.GetFindingCommand'
}

Describe 'A time the OS reports but .NET cannot hold' -Skip:(-not $tmpfs) {
    BeforeAll {
        $root = Join-Path /dev/shm "scantools-pester-$([guid]::NewGuid().ToString('N'))"
        $null = New-Item -ItemType Directory -Path $root
        'a' | Set-Content -LiteralPath (Join-Path $root 'ok1.txt')
        'b' | Set-Content -LiteralPath (Join-Path $root 'ok2.txt')
        $future = Join-Path $root 'future.txt'
        'c' | Set-Content -LiteralPath $future
        touch -d '@300000000000' $future # the year 11476
        $db = New-CatalogPath -Directory $catalogs
        $run = Start-Scan -Path $root -Database $db -ErrorVariable scanErrors -ErrorAction SilentlyContinue
    }
    AfterAll {
        Remove-Item -LiteralPath $root -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'records every file, that one with its time clamped, and the run completes' {
        $run.Status | Should -Be 'Completed'
        $run.Files | Should -Be 3
        $findings = @(Get-Finding -Database $db)
        Join-Sorted $findings.Name | Should -Be (Join-Sorted 'future.txt', 'ok1.txt', 'ok2.txt')
        ($findings | Where-Object Name -EQ 'future.txt').LastWriteTimeUtc.Year | Should -Be 9999
    }

    It 'reports a ValueOutOfRange error that names the file, stored with the run' {
        $scanErrors | Should -HaveCount 1
        $scanErrors[0].FullyQualifiedErrorId | Should -Be "ValueOutOfRange,$scan"
        $scanErrors[0].TargetObject | Should -Be $future
        $scanErrors[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $item = @(Get-ScanError -Database $db -ScanId $run.ScanId)
        $item.Kind | Should -Be 'ValueOutOfRange'
        $item.FullName | Should -Be $future
    }

    It 'is recorded by Write-Finding too, with the same error reported and stored' {
        $recorded = Join-Path $catalogs 'write-finding-future.db'
        $record = $future | Write-Finding -Database $recorded -Hash -PassThru -ErrorVariable writeErrors -ErrorAction SilentlyContinue

        $record.LastWriteTimeUtc.Year | Should -Be 9999
        $record.Sha256 | Should -Be (Get-FileHash -LiteralPath $future -Algorithm SHA256).Hash
        $writeErrors | Should -HaveCount 1
        $writeErrors[0].FullyQualifiedErrorId | Should -Be 'ValueOutOfRange,ScanTools.Commands.WriteFindingCommand'
        (Get-ScanError -Database $recorded).Kind | Should -Be 'ValueOutOfRange'
        (Get-ScanRun -Database $recorded -Last 1).Errors | Should -Be 1
    }
}

Describe 'Pseudo-files of /proc' -Skip:(-not $IsLinux) {
    It 'hashes what a read returns, not the size stat reports' {
        $db = New-CatalogPath -Directory $catalogs
        $null = Start-Scan -Path /proc/sys/kernel -MaxDepth 0 -Hash -Database $db -ErrorAction SilentlyContinue
        $finding = Get-Finding -Database $db -LiteralPath /proc/sys/kernel/hostname

        $expected = (Get-FileHash -LiteralPath /proc/sys/kernel/hostname -Algorithm SHA256).Hash
        $finding.Sha256 | Should -Be $expected
        $finding.Sha256 | Should -Not -Be 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855' # the digest of nothing
        $finding.Length | Should -Be ([IO.File]::ReadAllBytes('/proc/sys/kernel/hostname').Length)
    }
}

Describe 'Names that would drive a terminal' -Skip:$IsWindows {
    # A name may hold any character but '/' and NUL. ESC sequences (clear the screen, retitle the window) and newlines
    # (forge a line) in a hostile name must reach the screen as text; the objects keep the true names.
    BeforeAll {
        $esc = [char]27
        $root = Join-Path $TestDrive 'hostile'
        $evilFolder = Join-Path $root "dir${esc}]0;owned$([char]7)"
        $null = New-Item -ItemType Directory -Path $evilFolder -Force
        $clear = "x${esc}[2Jy.txt"
        'same' | Set-Content -LiteralPath (Join-Path $evilFolder $clear)
        'same' | Set-Content -LiteralPath (Join-Path $root "line`nforged.txt")
        '[' | Set-Content -LiteralPath (Join-Path $evilFolder '.gitignore') # an unclosed '[': an error item whose path holds ESC
        $db = New-CatalogPath -Directory $catalogs
        $run = Start-Scan -Path $root -Database $db -Hash -IgnoreFileName .gitignore -ErrorVariable scanErrors -ErrorAction SilentlyContinue
        function Show($InputObject) { $InputObject | Out-String -Width 400 }
    }

    It 'shows them escaped in Get-Finding''s table, and emits the true names' {
        $found = @(Get-Finding -Database $db -Extension txt)
        $found.Name | Should -Contain $clear
        $text = Show $found
        $text | Should -Not -Match '[\x00-\x08\x0B-\x1F\x7F]' -Because 'no control character but line ends reaches the terminal'
        $text | Should -Match ([regex]::Escape('x\x1B[2Jy.txt'))
        $text | Should -Match ([regex]::Escape('line\x0Aforged.txt'))
        $text | Should -Match ([regex]::Escape('dir\x1B]0;owned\x07')) -Because 'the folder heading is escaped too'
    }

    It 'shows them escaped in the list views (Format-List) of files, runs, changes, errors and copies' {
        $listDb = New-CatalogPath -Directory $catalogs
        $null = Start-Scan -Path $evilFolder -Database $listDb -Hash -ErrorAction SilentlyContinue
        $lists = @(
            Show (Get-Finding -Database $db -Extension txt | Format-List)
            Show (Get-ScanRun -Database $listDb | Format-List)
            Show (Get-ScanError -Database $db | Format-List)
            Show (Find-DuplicateFile -Database $db | Format-List)
            Show (Measure-ScanFolder -Database $db -Path $root -Depth 1 | Format-List)
        )
        foreach ($text in $lists) {
            $text | Should -Not -Match '[\x00-\x08\x0B-\x1F\x7F]' -Because 'no control character but line ends reaches the terminal'
            $text | Should -Match ([regex]::Escape('dir\x1B]0;owned\x07'))
        }
        (Get-ScanRun -Database $listDb).Roots | Should -Be @($evilFolder) -Because 'the object keeps the true path'
    }

    It 'shows them escaped in error records and in Get-ScanError' {
        $run.Errors | Should -Be 1
        $scanErrors.Count | Should -Be 1
        $scanErrors[0].TargetObject | Should -BeLike "*${esc}]0;owned*" -Because 'the record''s target keeps the true path'
        Show $scanErrors[0] | Should -Not -Match '[\x00-\x08\x0B-\x1F\x7F]'
        Show (Get-ScanError -Database $db) | Should -Not -Match '[\x00-\x08\x0B-\x1F\x7F]'
        Show (Get-ScanError -Database $db) | Should -Match ([regex]::Escape('dir\x1B]0;owned\x07'))
        Write-Finding -InputObject (Join-Path $root "gone${esc}[31m.txt") -Database $db -ErrorVariable inputErrors -ErrorAction SilentlyContinue
        $inputErrors.Count | Should -Be 1
        Show $inputErrors[0] | Should -Match ([regex]::Escape('gone\x1B[31m.txt'))
        Show $inputErrors[0] | Should -Not -Match '[\x00-\x08\x0B-\x1F\x7F]'
    }

    It 'shows them escaped in Start-Scan''s path errors and in the message of a run stopped at one' {
        $gone = Join-Path $root "gone${esc}[31m"
        $other = New-CatalogPath -Directory $catalogs
        $null = Start-Scan -LiteralPath $gone, $root -Database $other -IgnoreFileName .gitignore -ErrorVariable pathErrors -ErrorAction SilentlyContinue
        $missing = @($pathErrors | Where-Object { $_.FullyQualifiedErrorId -like 'PathNotFound*' })
        $missing | Should -HaveCount 1
        Show $missing[0] | Should -Match ([regex]::Escape('gone\x1B[31m'))
        Show $missing[0] | Should -Not -Match '[\x00-\x08\x0B-\x1F\x7F]'
        try { $null = Start-Scan -Path $root -Database $other -IgnoreFileName .gitignore -ErrorAction Stop } catch { }
        $message = (Get-ScanRun -Database $other -Last 1).Message
        $message | Should -Match ([regex]::Escape('dir\x1B]0;owned\x07'))
        $message | Should -Not -Match '[\x00-\x1F\x7F]'
    }

    It 'shows them escaped in Find-DuplicateFile and Get-ScanChange' {
        $copies = Show (Find-DuplicateFile -Database $db)
        $copies | Should -Match ([regex]::Escape('x\x1B[2Jy.txt'))
        $copies | Should -Not -Match '[\x00-\x08\x0B-\x1F\x7F]'
        Remove-Item -LiteralPath (Join-Path $evilFolder $clear)
        $null = Start-Scan -Path $root -Database $db -IgnoreFileName .gitignore -ErrorAction SilentlyContinue
        $changes = Show (Get-ScanChange -Database $db)
        $changes | Should -Match ([regex]::Escape('x\x1B[2Jy.txt'))
        $changes | Should -Not -Match '[\x00-\x08\x0B-\x1F\x7F]'
    }
}

Describe 'Hard links' -Skip:$IsWindows {
    BeforeAll {
        $root = Join-Path $TestDrive 'links'
        $null = New-Item -ItemType Directory -Path $root
        $first = Join-Path $root 'a.bin'
        [IO.File]::WriteAllBytes($first, [byte[]]::new(1MB))
        ln $first (Join-Path $root 'b.bin')
        ln $first (Join-Path $root 'c.bin')
        [IO.File]::WriteAllBytes((Join-Path $root 'copy.bin'), [byte[]]::new(1MB))
        $db = New-CatalogPath -Directory $catalogs
        $run = Start-Scan -Path $root -Database $db -Hash
        $findings = @(Get-Finding -Database $db)
    }

    It 'counts the bytes of three names of one file once, as du does' {
        $run.Files | Should -Be 4
        $run.Bytes | Should -Be (2 * 1MB)
    }

    It 'counts a symlink with two names (ln -P) once too, as du and Measure-ScanFolder do' {
        $tree = Join-Path $TestDrive 'linked-symlinks'
        $null = New-Item -ItemType Directory -Path $tree
        Set-Content -LiteralPath (Join-Path $tree 'f') -Value 'hello' -NoNewline
        ln (Join-Path $tree 'f') (Join-Path $tree 'f2')
        ln -s 'some/long/target/path' (Join-Path $tree 'l1')
        ln -P (Join-Path $tree 'l1') (Join-Path $tree 'l2')
        $du = [long]((du -sb --apparent-size $tree) -split "`t")[0] - [long](stat -c %s $tree) # less the folder's own entry
        $linkedDb = New-CatalogPath -Directory $catalogs
        $r = Start-Scan -Path $tree -Database $linkedDb
        $r.Files | Should -Be 4
        $r.Bytes | Should -Be (5 + 'some/long/target/path'.Length)
        $r.Bytes | Should -Be $du
        (Measure-ScanFolder -Database $linkedDb -Path $tree -Depth 0).Bytes | Should -Be $r.Bytes
    }

    It 'counts a file with two names once with -FollowSymlink, however many links to it are followed, as du -L does' {
        $tree = Join-Path $TestDrive 'followed-links'
        $null = New-Item -ItemType Directory -Path $tree
        [IO.File]::WriteAllBytes((Join-Path $tree 'a.bin'), [byte[]]::new(1000))
        ln (Join-Path $tree 'a.bin') (Join-Path $tree 'b.bin')
        foreach ($n in 1..3) { ln -s 'a.bin' (Join-Path $tree "s$n") }
        $du = [long]((du -sbL --apparent-size $tree) -split "`t")[0] - [long](stat -c %s $tree)
        $followedDb = New-CatalogPath -Directory $catalogs
        $r = Start-Scan -Path $tree -Database $followedDb -FollowSymlink
        $r.Files | Should -Be 5
        $r.Bytes | Should -Be 1000
        $r.Bytes | Should -Be $du
        (Measure-ScanFolder -Database $followedDb -Path $tree -Depth 0).Bytes | Should -Be $r.Bytes
    }

    It 'records the file id and link count, so links can be told from copies' {
        $links = @($findings | Where-Object Name -NE 'copy.bin')
        $links.HardLinks | Sort-Object -Unique | Should -Be 3
        @($links | Group-Object Device, Inode) | Should -HaveCount 1
        $copy = $findings | Where-Object Name -EQ 'copy.bin'
        $copy.HardLinks | Should -Be 1
        $copy.Inode | Should -Not -Be $links[0].Inode
        $copy.Sha256 | Should -Be $links[0].Sha256 # same content: a copy, which the file id tells apart
    }
}

Describe 'An empty file given as a catalog' {
    BeforeAll {
        $empty = Join-Path $catalogs 'empty.db'
        $null = New-Item -ItemType File -Path $empty
    }

    It 'is said to be empty by the reading commands, and is left empty' {
        { Get-Finding -Database $empty } | Should -Throw -ErrorId "CatalogNotFound,$find" -ExpectedMessage '*is an empty file, not a catalog yet*'
        (Get-Item -LiteralPath $empty).Length | Should -Be 0
    }

    It 'becomes a new catalog when Start-Scan writes to it, as the help says' {
        $run = Start-Scan -Path $PSScriptRoot -MaxDepth 0 -Database $empty
        $run.Status | Should -Be 'Completed'
        @(Get-Finding -Database $empty).Count | Should -Be $run.Files
    }
}

Describe 'A catalog on a read-only mount' -Skip:(-not $canMount) {
    BeforeAll {
        $source = Join-Path $TestDrive 'ro-source'
        $mounted = Join-Path $TestDrive 'ro-mount'
        $null = New-Item -ItemType Directory -Path $source, $mounted
        $db = Join-Path $source 'catalog.db'
        $run = Start-Scan -Path $PSScriptRoot -MaxDepth 0 -Database $db
        mount --bind $source $mounted
        mount -o 'remount,bind,ro' $mounted
        if ($LASTEXITCODE -ne 0) { throw "mount -o remount,bind,ro failed with exit code $LASTEXITCODE" }
        $readOnly = Join-Path $mounted 'catalog.db'
    }
    AfterAll {
        umount $mounted
    }

    It 'can be queried' {
        @(Get-Finding -Database $readOnly).Count | Should -Be $run.Files
        (Get-ScanRun -Database $readOnly).ScanId | Should -Be $run.ScanId
    }

    It 'refuses writes at once with CatalogReadOnly, naming the read-only file system' {
        { Start-Scan -Path $PSScriptRoot -MaxDepth 0 -Database $readOnly } |
            Should -Throw -ErrorId "CatalogReadOnly,$scan" -ExpectedMessage '*read-only file system*can still be read*'
    }

    It 'refuses a new catalog there without saying one can be read' {
        $new = Join-Path $mounted 'new.db'
        { Start-Scan -Path $PSScriptRoot -MaxDepth 0 -Database $new } |
            Should -Throw -ErrorId "CatalogReadOnly,$scan" -ExpectedMessage '*folder of*read-only file system, so no catalog can be created there*'
    }
}

Describe 'Catalog paths and filters that are mistakes' {
    BeforeAll {
        $db = New-CatalogPath -Directory $catalogs
        $null = Start-Scan -Path $PSScriptRoot -MaxDepth 0 -Database $db
    }

    It 'refuses a -Database with * or ? that names no catalog, creating nothing (a file named ''c*.db'' was made)' {
        $pattern = Join-Path $catalogs 'c*.db'
        { Start-Scan -Path $PSScriptRoot -Database $pattern -ErrorAction Stop } | Should -Throw -ErrorId "InvalidCatalogPath,$scan" -ExpectedMessage "*No file is named '$pattern', and ScanTools does not create a catalog whose name has*literal path*"
        { Get-Finding -Database (Join-Path $catalogs 'what?.db') -ErrorAction Stop } | Should -Throw -ErrorId "InvalidCatalogPath,$find"
        @(Get-ChildItem -LiteralPath $catalogs -Filter 'c`**' -Force) | Should -BeNullOrEmpty
    }

    It 'refuses a filter list larger than SQLite takes as InvalidFilter, not as a catalog that could not be read' {
        $hashes = 1..33000 | ForEach-Object { '{0:x64}' -f $_ }
        { Get-Finding -Database $db -Hash $hashes } | Should -Throw -ErrorId "InvalidFilter,$find" -ExpectedMessage '*at most 32,766*'
    }

    It 'refuses a blank -Database instead of using another catalog' {
        { Get-Finding -Database '   ' } | Should -Throw -ErrorId "InvalidCatalogPath,$find" -ExpectedMessage '*blank*'
        { Start-Scan -Path $PSScriptRoot -MaxDepth 0 -Database '  ' } | Should -Throw -ErrorId "InvalidCatalogPath,$scan"
    }

    It 'refuses a blank SCANTOOLS_DATABASE' {
        $saved = $env:SCANTOOLS_DATABASE
        try {
            $env:SCANTOOLS_DATABASE = '   '
            { Get-Finding } | Should -Throw -ErrorId "InvalidCatalogPath,$find" -ExpectedMessage '*SCANTOOLS_DATABASE is blank*'
        }
        finally {
            $env:SCANTOOLS_DATABASE = $saved
        }
    }

    It 'reads no blank SCANTOOLS_DATABASE when -Database is given (newcomer test 66: a blank one in a profile broke every script)' {
        $saved = $env:SCANTOOLS_DATABASE
        try {
            $env:SCANTOOLS_DATABASE = ' '
            @(Get-ScanRun -Database $db -ErrorAction Stop).Count | Should -BeGreaterThan 0
            { Get-Finding -Database '/dev/null' -ErrorAction Stop } | Should -Throw -ExpectedMessage "*'/dev/null' is not a regular file*"
        }
        finally {
            $env:SCANTOOLS_DATABASE = $saved
        }
    }

    It 'says when a catalog error''s path came from SCANTOOLS_DATABASE, not -Database (newcomer test 71)' {
        $saved = $env:SCANTOOLS_DATABASE
        try {
            $env:SCANTOOLS_DATABASE = Join-Path $catalogs 'no-such-folder/x.db'
            $missing = { Get-ScanRun -ErrorAction Stop } | Should -Throw -PassThru
            "$missing" | Should -BeLike '*There is no catalog at*(No -Database was given: the catalog path came from $env:SCANTOOLS_DATABASE.)'
            $env:SCANTOOLS_DATABASE = "$db-wal"
            $own = { Get-ScanRun -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidCatalogPath,*' -PassThru
            "$own" | Should -BeLike '*-wal file of the catalog*came from $env:SCANTOOLS_DATABASE.)'
            $err = { Get-ScanRun -Database (Join-Path $catalogs 'no-such-folder/y.db') -ErrorAction Stop } | Should -Throw -PassThru
            "$err" | Should -Not -BeLike '*SCANTOOLS_DATABASE*' -Because 'the path came from -Database'
        }
        finally {
            $env:SCANTOOLS_DATABASE = $saved
        }
    }

    It 'creates no catalog and no backup under a name that ends like a catalog''s own file, which SQLite would later overwrite (newcomer test 69)' {
        $wal = Join-Path $catalogs 'fresh.db-wal'
        { Start-Scan -Path $PSScriptRoot -MaxDepth 0 -Database $wal -ErrorAction Stop } | Should -Throw -ErrorId "InvalidCatalogPath,$scan" -ExpectedMessage "*ends with '-wal'*fresh.db*"
        Test-Path -LiteralPath $wal | Should -BeFalse
        { Backup-ScanCatalog -Database $db -Destination (Join-Path $catalogs 'copy.db-shm') -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidDestination*' -ExpectedMessage "*ends with '-shm'*"
        Test-Path -LiteralPath (Join-Path $catalogs 'copy.db-shm') | Should -BeFalse
        { Backup-ScanCatalog -Database $db -Destination ' ' -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidDestination*' -ExpectedMessage '*-Destination is blank*' -Because 'it wrote a file named with one space (newcomer test 72)'
        $lock = Join-Path $catalogs 'fresh.db-scantools.lock'
        { Start-Scan -Path $PSScriptRoot -MaxDepth 0 -Database $lock -ErrorAction Stop } | Should -Throw -ExpectedMessage '*ScanTools would take it for the scantools.lock file*'
    }

    It 'says to choose another -Database in a folder where no file can be created (/proc), without a raw message' -Skip:(-not $IsLinux) {
        $err = { Start-Scan -Path $PSScriptRoot -MaxDepth 0 -Database /proc/scantools-test.db -ErrorAction Stop } | Should -Throw -PassThru
        $err.Exception.Message | Should -BeLike '*choose another -Database*'
        $err.Exception.Message | Should -Not -BeLike '*..'
    }

    It 'refuses a catalog''s own <Suffix> file as -Database, naming the catalog, and writes nothing there (Start-Scan made a database of the -wal)' -ForEach @(
        @{ Suffix = '-wal' }, @{ Suffix = '-scantools.lock' }, @{ Suffix = '-shm' }
    ) {
        $main = Join-Path $catalogs 'own.db'
        $null = Start-Scan -Path $PSScriptRoot -MaxDepth 0 -Database $main
        $own = "$main$Suffix"
        if (-not (Test-Path -LiteralPath $own)) { $null = New-Item -ItemType File -Path $own }
        $before = (Get-Item -LiteralPath $own).Length
        { Start-Scan -Path $PSScriptRoot -MaxDepth 0 -Database $own -ErrorAction Stop } |
            Should -Throw -ErrorId "InvalidCatalogPath,$scan" -ExpectedMessage "*is the $Suffix file of the catalog '$main'*Give -Database '$main'*"
        { Get-ScanRun -Database $own -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidCatalogPath,ScanTools.Commands.GetScanRunCommand'
        { 'x' | Write-Finding -Database $own -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidCatalogPath,*'
        (Get-Item -LiteralPath $own).Length | Should -Be $before
        Test-Path -LiteralPath "$own-wal" | Should -BeFalse
        @(Get-ScanRun -Database $main).Count | Should -BeGreaterThan 0
    }

    It 'refuses $null and empty run and kind filters with a parameter error, not a crash' -ForEach @(
        @{ Command = { Get-ScanRun -Database $db -Id $null } }
        @{ Command = { Get-ScanRun -Database $db -Status @() } }
        @{ Command = { Get-ScanError -Database $db -ScanId $null } }
        @{ Command = { Get-ScanError -Database $db -Kind $null } }
        @{ Command = { Get-ScanChange -Database $db -ScanId @() } }
    ) {
        $Command | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
    }

    It 'refuses a FIFO as a catalog at once (Unix)' -Skip:$IsWindows {
        $fifo = Join-Path $catalogs 'pipe.db'
        mkfifo $fifo
        { Get-Finding -Database $fifo } | Should -Throw -ErrorId "CatalogNotACatalog,$find" -ExpectedMessage '*not a regular file*'
    }

    It 'says to leave out the trailing separator of a catalog file spelled as a folder (c.db/)' {
        $db = New-CatalogPath -Directory $catalogs
        $null = Start-Scan -Path $PSScriptRoot -MaxDepth 0 -Database $db
        { Get-Finding -Database "$db/" } | Should -Throw -ErrorId 'CatalogNotACatalog*' -ExpectedMessage "*is a file. Leave out the trailing separator: -Database '$db'*"
    }

    It 'refuses a -Database spelled as a folder (<Spelling>) as CatalogNotACatalog in every cmdlet that opens one, and creates nothing' -ForEach @(
        @{ Spelling = 'newdir/' }
        @{ Spelling = 'newdir/.' }
        @{ Spelling = 'newdir\' ; WindowsOnly = $true }
    ) {
        if ($WindowsOnly -and -not $IsWindows) {
            Set-ItResult -Skipped -Because '\ separates folders on Windows only'
            return
        }
        $parent = New-TestDirectory -Parent $catalogs
        $spelled = Join-Path $parent $Spelling
        $aFile = New-TestFile -Path (Join-Path $TestDrive 'to-record.txt') -Content 'r'
        $commands = [ordered]@{
            'Start-Scan'            = { Start-Scan -Path $PSScriptRoot -MaxDepth 0 -Database $spelled }
            'Write-Finding'         = { Write-Finding -InputObject $aFile -Database $spelled }
            'Get-Finding'           = { Get-Finding -Database $spelled }
            'Get-ScanRun'           = { Get-ScanRun -Database $spelled }
            'Get-ScanError'         = { Get-ScanError -Database $spelled }
            'Get-ScanChange'        = { Get-ScanChange -Database $spelled }
            'Find-DuplicateFile'    = { Find-DuplicateFile -Database $spelled }
            'Get-FindingMatch'      = { Get-FindingMatch -Database $spelled }
            'Start-ScanConsumer'    = { Start-ScanConsumer -Broker 'redis://127.0.0.1:1/never' -Database $spelled }
            'Register-ScanSchedule' = { Register-ScanSchedule -Name 'never-registered' -Path $PSScriptRoot -Database $spelled -WhatIf }
            'Optimize-ScanCatalog'  = { Optimize-ScanCatalog -Database $spelled -KeepRuns 1 }
            'Backup-ScanCatalog'    = { Backup-ScanCatalog -Database $spelled -Destination (Join-Path $TestDrive 'never-backup.db') }
            'Measure-ScanFolder'    = { Measure-ScanFolder -Database $spelled }
            'Measure-ScanFile'      = { Measure-ScanFile -Database $spelled }
            'Export-ScanReport'     = { Export-ScanReport -Database $spelled -Path (Join-Path $TestDrive 'never-report.html') }
        }
        # Every cmdlet with -Database is here, but Get-ScanSession, which only filters the sessions open in this process.
        Join-Sorted (Get-Command -Module ScanTools -ParameterName Database).Name | Should -Be (Join-Sorted (@($commands.Keys) + 'Get-ScanSession'))

        foreach ($name in $commands.Keys) {
            $class = (Get-Command $name).ImplementingType.FullName
            $commands[$name] | Should -Throw -ErrorId "CatalogNotACatalog,$class" -ExpectedMessage "*names a folder*$(Join-Path $parent 'newdir' 'catalog.db')*" -Because $name
        }
        @(Get-ChildItem -LiteralPath $parent -Force) | Should -BeNullOrEmpty
    }

    It 'says an SQLite header over garbage is not a catalog, and to choose another -Database, as for any other file' {
        $garbage = Join-Path $catalogs 'garbage.db'
        $bytes = [byte[]]::new(8192)
        [Random]::new(5).NextBytes($bytes)
        [Text.Encoding]::ASCII.GetBytes("SQLite format 3`0").CopyTo($bytes, 0)
        [IO.File]::WriteAllBytes($garbage, $bytes)
        $text = Join-Path $catalogs 'text.db'
        [IO.File]::WriteAllText($text, "a shopping list, not a catalog`n")

        foreach ($path in $garbage, $text) {
            { Start-Scan -Path $PSScriptRoot -MaxDepth 0 -Database $path } | Should -Throw -ErrorId "CatalogNotACatalog,$scan" -ExpectedMessage '*Choose another -Database*'
            { Get-Finding -Database $path } | Should -Throw -ErrorId "CatalogNotACatalog,$find" -ExpectedMessage '*Choose another -Database*'
        }
        [IO.File]::ReadAllBytes($garbage) | Should -Be $bytes
    }

    It 'says a damaged catalog is damaged when reading, as when writing' {
        $damaged = Join-Path $catalogs 'damaged.db'
        Copy-Item -LiteralPath $db -Destination $damaged
        $fs = [IO.File]::Open($damaged, 'Open', 'ReadWrite')
        try { $fs.SetLength(4096 + 100) } finally { $fs.Dispose() }
        { Get-Finding -Database $damaged } | Should -Throw -ErrorId "Catalog*,$find"
        { Get-ScanRun -Database $damaged } | Should -Throw -ErrorId 'Catalog*'
    }
}
