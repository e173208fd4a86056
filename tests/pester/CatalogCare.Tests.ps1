# Optimize-ScanCatalog and Backup-ScanCatalog, as a user calls them.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $modulePath = Get-ScanToolsTestModulePath
    Import-Module $modulePath -Force

    $catalogs = Join-Path $TestDrive 'catalogs'
    $trees = Join-Path $TestDrive 'trees'
    $backups = Join-Path $TestDrive 'backups'
    $null = New-Item -ItemType Directory -Path $catalogs, $trees, $backups -Force

    # Four scans of a tree that loses one file before each of the last three.
    function New-History {
        $root = Join-Path $trees ([guid]::NewGuid().ToString('N'))
        $null = New-TestTree -Path $root -Folders 1 -FilesPerFolder 10
        $db = New-CatalogPath -Directory $catalogs
        $null = Start-Scan -Path $root -Database $db
        foreach ($i in 1..3) {
            Get-ChildItem -LiteralPath $root -Recurse -File | Select-Object -First 1 | Remove-Item
            $null = Start-Scan -Path $root -Database $db
        }
        [pscustomobject]@{ Root = $root; Database = $db }
    }
}

Describe 'Optimize-ScanCatalog' {
    It 'checks the whole catalog and reports damage that a scan of an intact folder does not reach as CatalogCorrupt, in a bounded message' {
        $root = Join-Path $trees ([guid]::NewGuid().ToString('N'))
        $null = New-TestTree -Path (Join-Path $root 'big') -Folders 20 -FilesPerFolder 200
        $small = New-TestDirectory -Parent $root -Name 'small'
        $null = New-TestFile -Path (Join-Path $small 'one.txt') -Content 'one'
        $db = New-CatalogPath -Directory $catalogs
        $null = Start-Scan -Path (Join-Path $root 'big') -Database $db
        # Damage the middle of the file (the big folder's rows), as a failing disk does; the first pages (the schema) stay.
        $bytes = [IO.File]::ReadAllBytes($db)
        $damage = [byte[]]::new([int]($bytes.Length * 0.4))
        [Random]::new(7).NextBytes($damage)
        [Array]::Copy($damage, 0, $bytes, [int]($bytes.Length * 0.3), $damage.Length)
        [IO.File]::WriteAllBytes($db, $bytes)

        { Optimize-ScanCatalog -Database $db -WhatIf -ErrorAction Stop } | Should -Throw -ErrorId 'CatalogCorrupt,ScanTools.Commands.OptimizeScanCatalogCommand' -Because '-WhatIf says what the real command meets (newcomer test 65)'
        $err = { Optimize-ScanCatalog -Database $db -ErrorAction Stop } | Should -Throw -ErrorId 'CatalogCorrupt,ScanTools.Commands.OptimizeScanCatalogCommand' -PassThru

        "$err" | Should -BeLike "*SQLite's check of the catalog*found damage*restore the catalog from it*"
        "$err".Length | Should -BeLessThan 2000 -Because 'the whole list of problems made one message line of thousands of characters'
        "$err" | Should -Not -Match "`n"
        # Pruning too: its plan met the first damaged page and said only SQLite's "malformed" (newcomer test 75).
        $pruning = { Optimize-ScanCatalog -Database $db -KeepRuns 1 -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'CatalogCorrupt,ScanTools.Commands.OptimizeScanCatalogCommand' -PassThru
        "$pruning" | Should -BeLike "*SQLite's check of the catalog*found damage*"
        $read = { @(Get-Finding -Database $db -ErrorAction Stop) } | Should -Throw -PassThru
        "$read" | Should -Not -BeLike "*.).*" -Because 'SQLite''s own full stop inside the parentheses read doubled'
    }

    It 'says what -WhatIf would prune and changes nothing' {
        $h = New-History
        $result = Optimize-ScanCatalog -Database $h.Database -KeepRuns 1 -WhatIf
        $result | Should -BeNullOrEmpty
        @(Get-ScanRun -Database $h.Database) | Should -HaveCount 4
    }

    It 'says with -WhatIf that the runs the limits match are always kept, rather than that none matches (newcomer test 83)' {
        $root = Join-Path $trees ([guid]::NewGuid().ToString('N'))
        $null = New-TestTree -Path $root -Folders 1 -FilesPerFolder 2
        $db = New-CatalogPath -Directory $catalogs
        $null = Start-Scan -Path $root -Database $db
        $result = Invoke-TestPwsh -Script "Import-Module '$modulePath'; Optimize-ScanCatalog -Database '$db' -KeepRuns 0 -WhatIf" -TimeoutSeconds 300
        $result.ExitCode | Should -Be 0 -Because ($result.Output -join "`n")
        ($result.Output -join ' ') | Should -Match 'nothing to prune: no run the limits let go, besides those always kept: a run still Running, the newest completed scan, the newest run'
        @(Get-ScanRun -Database $db) | Should -HaveCount 1
    }

    It 'keeps the newest runs, removes the others with what they found removed, and leaves the present files' {
        $h = New-History
        $before = @(Get-Finding -Database $h.Database | ForEach-Object FullName | Sort-Object)

        $result = Optimize-ScanCatalog -Database $h.Database -KeepRuns 2 -Confirm:$false

        $result | Should -BeOfType ScanTools.Storage.CatalogPruneResult
        $result.Runs | Should -Be 2
        $result.RemovedFiles | Should -Be 1 # the second run found one file gone; the first found none
        $result.Optimized | Should -BeTrue
        @(Get-ScanRun -Database $h.Database).Id | Sort-Object | Should -Be @(3, 4)
        @(Get-Finding -Database $h.Database | ForEach-Object FullName | Sort-Object) | Should -Be $before
        { Get-ScanChange -Database $h.Database -ScanId 2 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidFilter*'
    }

    It 'only optimizes without limits' {
        $h = New-History
        $result = Optimize-ScanCatalog -Database $h.Database
        $result.Runs | Should -Be 0
        $result.Optimized | Should -BeTrue
        @(Get-ScanRun -Database $h.Database) | Should -HaveCount 4
    }

    It 'never prunes the newest completed scan, even with -KeepRuns 0' {
        $h = New-History
        $null = Optimize-ScanCatalog -Database $h.Database -KeepRuns 0
        @(Get-ScanRun -Database $h.Database).Id | Should -Be @(4)
    }

    It 'reports a missing catalog as CatalogNotFound and a broker address as InvalidCatalogPath' {
        { Optimize-ScanCatalog -Database (Join-Path $catalogs 'none.db') -ErrorAction Stop } | Should -Throw -ErrorId 'CatalogNotFound*'
        { Optimize-ScanCatalog -Database 'redis://127.0.0.1:6390/estate' -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidCatalogPath*'
    }

    It 'refuses a negative limit' {
        { Optimize-ScanCatalog -Database (New-CatalogPath -Directory $catalogs) -OlderThanDays -1 } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
    }
}

Describe 'Backup-ScanCatalog' {
    It 'writes a copy that every command reads as a catalog' {
        $h = New-History
        $target = Join-Path $backups 'copy.db'

        $result = Backup-ScanCatalog -Database $h.Database -Destination $target

        $result | Should -BeOfType ScanTools.Storage.CatalogBackupResult
        $result.Path | Should -Be $target
        $result.Runs | Should -Be 4
        $result.Files | Should -Be (Get-TestFileCount -LiteralPath $h.Root)
        (Get-Item -LiteralPath $target).Length | Should -Be $result.Length
        Test-Path -LiteralPath "$target-wal" | Should -BeFalse -Because 'the copy is one file'
        @(Get-ScanRun -Database $target).Id | Sort-Object | Should -Be @(1, 2, 3, 4)
        @(Get-Finding -Database $target).Count | Should -Be $result.Files
    }

    It 'writes a copy in WAL journaling, which a command reading it while it writes it can use as the catalog' {
        $h = New-History
        $target = Join-Path $backups 'restored.db'
        $null = Backup-ScanCatalog -Database $h.Database -Destination $target
        $header = [IO.File]::ReadAllBytes($target)[18..19]
        $header | Should -Be @(2, 2) -Because 'SQLite marks a WAL database with 2 in bytes 18 and 19 of its header'
        # Reads every file and writes one record each, in one pipeline: the reader and the writer side by side.
        Get-Finding -Database $target | Write-Finding -Database $target -ErrorAction Stop
        (Get-ScanRun -Database $target -Last 1).Files | Should -Be (Get-TestFileCount -LiteralPath $h.Root)
    }

    It 'refuses an existing backup without -Force, keeps it, and replaces it with -Force' {
        $h = New-History
        $target = Join-Path $backups 'exists.db'
        $null = Backup-ScanCatalog -Database $h.Database -Destination $target
        $null = Start-Scan -Path $h.Root -Database $h.Database
        { Backup-ScanCatalog -Database $h.Database -Destination $target -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidDestination*'
        (Get-ScanRun -Database $target).Count | Should -Be 4 -Because 'the earlier backup is kept'
        (Backup-ScanCatalog -Database $h.Database -Destination $target -Force).Runs | Should -Be 5
    }

    It 'still replaces a read-only backup that a refused write was tried on' -Skip:$IsWindows {
        $h = New-History
        $target = Join-Path $backups 'read-only-backup.db'
        $null = Backup-ScanCatalog -Database $h.Database -Destination $target
        [IO.File]::SetUnixFileMode($target, [IO.UnixFileMode]'UserRead, GroupRead, OtherRead')
        { Optimize-ScanCatalog -Database $target -KeepRuns 1 -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'CatalogReadOnly*'
        Test-Path -LiteralPath "$target-scantools.lock" | Should -BeFalse -Because 'the refused write left a lock file, and the backup then passed for a working catalog'
        [IO.File]::SetUnixFileMode($target, [IO.UnixFileMode]'UserRead, UserWrite, GroupRead, OtherRead')
        (Backup-ScanCatalog -Database $h.Database -Destination $target -Force).Runs | Should -Be 4
    }

    It 'replaces the backup a link of this account names, and keeps the link' -Skip:$IsWindows {
        $h = New-History
        $real = Join-Path $backups 'dated-backup.db'
        $latest = Join-Path $backups 'latest-backup.db'
        $null = Backup-ScanCatalog -Database $h.Database -Destination $real
        $null = New-Item -ItemType SymbolicLink -Path $latest -Target $real
        $null = Start-Scan -Path $h.Root -Database $h.Database

        (Backup-ScanCatalog -Database $h.Database -Destination $latest -Force).Runs | Should -Be 5

        (Get-Item -LiteralPath $latest).LinkType | Should -Be 'SymbolicLink' -Because 'the link became a plain file and the backup it named was never updated'
        (Get-ScanRun -Database $real).Count | Should -Be 5
    }

    It 'keeps the mode of a backup it replaces with -Force: a read-only backup stays read-only' -Skip:$IsWindows {
        $h = New-History
        $target = Join-Path $backups 'frozen-backup.db'
        $null = Backup-ScanCatalog -Database $h.Database -Destination $target
        [IO.File]::SetUnixFileMode($target, [IO.UnixFileMode]'UserRead, GroupRead, OtherRead')
        $null = Start-Scan -Path $h.Root -Database $h.Database

        (Backup-ScanCatalog -Database $h.Database -Destination $target -Force).Runs | Should -Be 5

        (Get-Item -LiteralPath $target).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, GroupRead, OtherRead') -Because 'it was 0644 after the replacement, the admin''s chmod undone'
        (Get-ScanRun -Database $target).Count | Should -Be 5
    }

    It 'refuses with -Force too a working catalog (one scans write), and keeps it' {
        $h = New-History
        $other = New-History
        $runsBefore = @(Get-ScanRun -Database $other.Database).Count
        { Backup-ScanCatalog -Database $h.Database -Destination $other.Database -Force -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidDestination*' -ExpectedMessage '*is a working catalog, not a backup*-Force replaces only backups*'
        @(Get-ScanRun -Database $other.Database).Count | Should -Be $runsBefore -Because 'another estate''s catalog was replaced by a tab-completion slip'
    }

    It 'refuses with -Force too a file that is not a ScanTools catalog (a text file, another SQLite database), and keeps it' -ForEach @(
        @{ Case = 'text'; Make = { param($p) Set-Content -LiteralPath $p -Value 'keep me' } }
        @{ Case = 'other SQLite'; Make = { param($p) Invoke-TestSql -Database $p -Sql 'CREATE TABLE t (x); INSERT INTO t VALUES (1);' } }
    ) {
        $h = New-History
        $target = Join-Path $backups "foreign-$([guid]::NewGuid().ToString('N')).db"
        & $Make $target
        $before = [IO.File]::ReadAllBytes($target)
        { Backup-ScanCatalog -Database $h.Database -Destination $target -Force -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidDestination*' -ExpectedMessage '*is not a ScanTools catalog or backup; -Force replaces only those*'
        [IO.File]::ReadAllBytes($target) | Should -Be $before
    }

    It 'refuses a missing folder, a folder and the catalog itself with InvalidDestination' -ForEach @(
        @{ Case = 'missing folder'; Target = { Join-Path $backups 'no/such/x.db' } }
        @{ Case = 'folder'; Target = { $backups } }
        @{ Case = 'catalog itself'; Target = { $h.Database } }
        @{ Case = 'wildcard'; Target = { Join-Path $backups 'b*.db' } }
    ) {
        $h = New-History
        { Backup-ScanCatalog -Database $h.Database -Destination (& $Target) -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidDestination*'
    }

    It 'copies once when runs of one catalog are piped to it' {
        $h = New-History
        $target = Join-Path $backups 'piped.db'
        $result = @(Get-ScanRun -Database $h.Database | Backup-ScanCatalog -Destination $target)
        $result | Should -HaveCount 1
        $result[0].Runs | Should -Be 4
    }

    It 'says with -WhatIf what the real command would refuse' {
        $h = New-History
        { Backup-ScanCatalog -Database $h.Database -Destination (Join-Path $backups 'no/such/x.db') -WhatIf -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidDestination*'
        { Backup-ScanCatalog -Database "$($h.Database)-wal" -Destination (Join-Path $backups 'w.db') -WhatIf -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidCatalogPath*' -ExpectedMessage "*is the -wal file of the catalog*"
        { Backup-ScanCatalog -Database $h.Database -Destination "$($h.Database)-wal" -Force -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidDestination*'
    }

    It 'writes nothing with -WhatIf' {
        $h = New-History
        $target = Join-Path $backups 'whatif.db'
        Backup-ScanCatalog -Database $h.Database -Destination $target -WhatIf | Should -BeNullOrEmpty
        Test-Path -LiteralPath $target | Should -BeFalse
    }

    It 'copies consistently while another process scans into the catalog' {
        $h = New-History
        $big = Join-Path $trees 'big'
        $null = New-TestTree -Path $big -Folders 40 -FilesPerFolder 250
        $bigCount = Get-TestFileCount -LiteralPath $big
        $out = Join-Path $TestDrive 'scanner.txt'
        $scanner = Start-TestPwsh -OutputPath $out -ArgumentList $modulePath, $big, $h.Database -Script @'
param($module, $tree, $db)
Import-Module $module
$run = Start-Scan -Path $tree -Database $db
"status=$($run.Status) files=$($run.Files)"
'@
        $target = Join-Path $backups 'during.db'
        $runsBefore = @(Get-ScanRun -Database $h.Database).Count

        $result = Backup-ScanCatalog -Database $h.Database -Destination $target

        $scanner.WaitForExit(180000) | Should -BeTrue
        Get-Content -LiteralPath $out | Should -Contain "status=Completed files=$bigCount"
        $result.Runs | Should -BeGreaterOrEqual $runsBefore
        @(Get-ScanRun -Database $target).Count | Should -Be $result.Runs
        Invoke-TestSql -Database $target -Sql 'PRAGMA integrity_check;' | Should -Be 'ok'
    }
}

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $canMount = $IsLinux -and (Test-IsRoot) -and (Get-Command mount -ErrorAction SilentlyContinue)
}

Describe 'Backup-ScanCatalog onto a full disk' -Skip:(-not $canMount) {
    BeforeAll {
        $small = Join-Path $TestDrive 'small-disk'
        $null = New-Item -ItemType Directory -Path $small
        mount -t tmpfs -o size=64k tmpfs $small
        if ($LASTEXITCODE -ne 0) { throw "mount -t tmpfs failed with exit code $LASTEXITCODE" }
    }
    AfterAll {
        umount $small
    }

    It 'says the disk is full, how much it needs and what to do, leaves no draft, and keeps an earlier backup' {
        $h = New-History
        $target = Join-Path $small 'estate.db'
        Set-Content -LiteralPath $target -Value $null # an empty file: what -Force may replace
        $failure = $null
        try { Backup-ScanCatalog -Database $h.Database -Destination $target -Force -ErrorAction Stop } catch { $failure = $_ }
        $failure | Should -Not -BeNullOrEmpty
        $failure.FullyQualifiedErrorId | Should -BeLike 'CatalogWriteFailed*'
        "$failure" | Should -BeLike "*is full. It needs about * free*choose another -Destination*"
        @(Get-ChildItem -LiteralPath $small -Force).Name | Should -Be @('estate.db')
        (Get-Item -LiteralPath $target).Length | Should -Be 0
    }
}
