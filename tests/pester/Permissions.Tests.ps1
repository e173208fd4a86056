# Files and catalogs an account may not read or write, as that account meets them: run as a user that
# permissions apply to (root ignores them; as root, the tests run a child pwsh as nobody).

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ScanToolsTestModulePath) -Force
    $user = Get-TestUser -WorkDirectory (Join-Path $TestDrive 'user')

    # Runs -Body as that account in a new pwsh, in a folder of its own; the body's last output line is
    # JSON, returned as an object.
    function Invoke-AsUser {
        param([Parameter(Mandatory)] [string] $Body, [Parameter(Mandatory)] [string] $Work)
        $script = "`$ErrorActionPreference = 'Stop'`n`$module = `$args[0]`nSet-Location -LiteralPath `$args[1]`n$Body"
        $result = Invoke-TestPwsh -Script $script -ArgumentList $user.ModulePath, $Work -User $user
        $result.ExitCode | Should -Be 0 -Because ($result.Output -join "`n")
        $result.Output[-1] | ConvertFrom-Json
    }
}

Describe 'A catalog of your own made read-only (chmod 444)' {
    BeforeAll {
        # Each step imports the module afresh and removes it afterwards (the last removal closes the
        # process's writer session), as separate commands in separate sessions would.
        $body = {
            function Get-SideFile {
                foreach ($f in Get-ChildItem -LiteralPath . -Filter 'ro.db-*' | Where-Object Name -In 'ro.db-wal', 'ro.db-shm') {
                    '{0} {1}' -f $f.Name, [int]$f.UnixFileMode
                }
            }
            $null = New-Item -ItemType Directory -Path d/sub -Force
            Set-Content -LiteralPath d/a.txt -Value 'a'
            Set-Content -LiteralPath d/sub/b.txt -Value 'b'
            $out = [ordered]@{ Files = @(Get-ChildItem -LiteralPath d -File -Recurse).Count }

            Import-Module $module
            $null = Start-Scan -Path d -Database ro.db
            Remove-Module ScanTools
            if ($args[2] -eq 'CatalogAlone') { Remove-Item -LiteralPath ro.db-wal, ro.db-shm }
            [IO.File]::SetUnixFileMode((Resolve-Path ro.db).ProviderPath, [IO.UnixFileMode]'UserRead, GroupRead, OtherRead')

            $out.SideFilesBefore = @(Get-SideFile)
            if ($args[3] -eq 'ReadFirst') {
                Import-Module $module
                $out.Found = (Get-Finding -Database ro.db -First 1).FullName
                $out.Measured = (Measure-ScanFolder -Database ro.db -Depth 0).Files
                Export-ScanReport -Database ro.db -Path report.html
                $out.Report = (Get-Item -LiteralPath report.html).Length
                Remove-Module ScanTools
                $out.SideFilesAfterReading = @(Get-SideFile)
            }
            Import-Module $module
            try { $null = Start-Scan -Path d -Database ro.db } catch { $out.ErrorId = $_.FullyQualifiedErrorId; $out.Message = $_.Exception.Message }
            Remove-Module ScanTools
            $out.Database = (Resolve-Path ro.db).ProviderPath
            $out.SideFilesAfterRefusal = @(Get-SideFile)

            [IO.File]::SetUnixFileMode($out.Database, [IO.UnixFileMode]'UserRead, UserWrite, GroupRead, OtherRead')
            Import-Module $module
            $run = Start-Scan -Path d -Database ro.db
            $out.Status = [string]$run.Status
            $out.Scanned = $run.Files
            $out | ConvertTo-Json -Compress
        }.ToString()
    }

    It 'is read without side files it could not write, refused by Start-Scan naming the catalog file, and scanned once writable (<Side>, <Read>)' -ForEach @(
        @{ Side = 'CatalogAlone'; Read = 'ReadFirst' }
        @{ Side = 'CatalogAlone'; Read = 'NoReader' }
        @{ Side = 'SideFilesKept'; Read = 'ReadFirst' }
    ) {
        if ($user.Skip) {
            Set-ItResult -Skipped -Because $user.Skip
            return
        }
        $work = New-TestUserDirectory -Parent $TestDrive -User $user

        $r = Invoke-AsUser -Work $work -Body "& { $body } @args $Side $Read"

        if ($Read -eq 'ReadFirst') {
            $r.Found | Should -Be (Get-ChildItem -LiteralPath (Join-Path $work 'd') -File -Recurse | Sort-Object FullName | Select-Object -First 1).FullName
            $r.Measured | Should -Be $r.Files -Because 'Measure-ScanFolder reads a read-only catalog'
            $r.Report | Should -BeGreaterThan 10000 -Because 'Export-ScanReport reads a read-only catalog'
            $r.SideFilesAfterReading | Should -Be $r.SideFilesBefore -Because 'reading a read-only catalog creates and changes nothing next to it'
        }
        $r.ErrorId | Should -Be 'CatalogReadOnly,ScanTools.Commands.StartScanCommand'
        $r.Message | Should -BeLike "*'$($r.Database)'*read-only*chmod u+w*"
        $r.Message | Should -Not -BeLike '*-shm*'
        $r.Message | Should -Not -BeLike '*belongs to*'
        foreach ($side in $r.SideFilesAfterRefusal) {
            $name, $mode = $side -split ' '
            ([IO.UnixFileMode][int]$mode).HasFlag([IO.UnixFileMode]::UserWrite) | Should -BeTrue -Because "$name must stay writable by its owner"
        }
        $r.Status | Should -Be 'Completed'
        $r.Scanned | Should -Be $r.Files
    }

    It 'is refused to root too, which may write any file, and read by it' -Skip:($IsWindows -or [Environment]::UserName -ne 'root') {
        # chmod 444, an admin's way of freezing a catalog, was ignored by root: a scan added its run.
        $work = New-TestDirectory -Parent $TestDrive -Name 'as-root'
        $script = "`$ErrorActionPreference = 'Stop'`n`$module = `$args[0]`nSet-Location -LiteralPath `$args[1]`n& { $body } @args CatalogAlone ReadFirst"
        $result = Invoke-TestPwsh -Script $script -ArgumentList (Get-ScanToolsTestModulePath), $work
        $result.ExitCode | Should -Be 0 -Because ($result.Output -join "`n")
        $r = $result.Output[-1] | ConvertFrom-Json

        $r.Measured | Should -Be $r.Files -Because 'root reads it'
        $r.SideFilesAfterReading | Should -Be $r.SideFilesBefore -Because 'root''s reading created a -shm and a -wal of mode 444 next to it'
        $r.ErrorId | Should -Be 'CatalogReadOnly,ScanTools.Commands.StartScanCommand'
        $r.Message | Should -BeLike "*'$($r.Database)'*read-only (mode*Root could write it anyway*chmod u+w*"
        $r.Status | Should -Be 'Completed' -Because 'once writable, it is scanned'
    }
}

Describe 'Find-DuplicateFile with identical files this account cannot read (chmod 000)' {
    It 'reports each as AccessDenied, stores them with its Duplicates run and counts them, and does not call them gone or changed' {
        if ($user.Skip) {
            Set-ItResult -Skipped -Because $user.Skip
            return
        }
        $work = New-TestUserDirectory -Parent $TestDrive -User $user
        $body = {
            $null = New-Item -ItemType Directory -Path tree -Force
            foreach ($name in 'locked1.bin', 'locked2.bin', 'open1.bin', 'open2.bin') {
                Set-Content -LiteralPath "tree/$name" -Value ($name.Substring(0, 4) * 1000) -NoNewline
            }
            foreach ($name in 'locked1.bin', 'locked2.bin') {
                [IO.File]::SetUnixFileMode((Resolve-Path "tree/$name").ProviderPath, [IO.UnixFileMode]::None) # before the scan: unchanged since
            }
            Import-Module $module
            $null = Start-Scan -Path tree -Database dups.db
            $groups = @(Find-DuplicateFile -Database dups.db -ErrorAction SilentlyContinue -ErrorVariable problems -WarningVariable warned)
            $run = Get-ScanRun -Database dups.db -Last 1
            [ordered]@{
                Groups    = @($groups | ForEach-Object { ($_.Files | ForEach-Object { Split-Path -Leaf $_ }) -join '+' })
                Errors    = @($problems | ForEach-Object { '{0} {1}' -f $_.FullyQualifiedErrorId.Split(',')[0], (Split-Path -Leaf $_.TargetObject) })
                Warnings  = @($warned | ForEach-Object { "$_" })
                Kind      = $run.Kind
                RunErrors = $run.Errors
                ExitCode  = [int]$run.ExitCode
                Stored    = @($run | Get-ScanError | ForEach-Object { '{0} {1}' -f $_.Kind, (Split-Path -Leaf $_.FullName) })
            } | ConvertTo-Json -Compress
        }.ToString()

        $r = Invoke-AsUser -Work $work -Body "& { $body } @args"

        $locked = @('AccessDenied locked1.bin', 'AccessDenied locked2.bin')
        $r.Groups | Should -Be @('open1.bin+open2.bin')
        Join-Sorted $r.Errors | Should -Be (Join-Sorted $locked)
        $r.Warnings | Should -BeNullOrEmpty -Because 'both files are there, as they were scanned'
        $r.Kind | Should -Be 'Duplicates'
        $r.RunErrors | Should -Be $locked.Count
        $r.ExitCode | Should -Be ([int][ScanTools.Hosting.ScanExitCode]::CompletedWithErrors)
        Join-Sorted $r.Stored | Should -Be (Join-Sorted $locked)
    }
}

Describe 'Export-ScanReport into a folder this account cannot write (chmod 555)' {
    It 'fails as ExportFailed naming the report and the folder, not its draft, and leaves nothing there' {
        if ($user.Skip) {
            Set-ItResult -Skipped -Because $user.Skip
            return
        }
        $work = New-TestUserDirectory -Parent $TestDrive -User $user
        $body = {
            $null = New-Item -ItemType Directory -Path tree, out -Force
            Set-Content -LiteralPath tree/a.txt -Value 'a'
            [IO.File]::SetUnixFileMode((Resolve-Path out).ProviderPath, [IO.UnixFileMode]'UserRead, UserExecute, GroupRead, GroupExecute, OtherRead, OtherExecute')
            Import-Module $module
            $null = Start-Scan -Path tree -Database r.db
            $failure = $null
            try { Export-ScanReport -Database r.db -Path out/report.html } catch { $failure = $_ }
            [ordered]@{
                ErrorId = $failure.FullyQualifiedErrorId
                Message = $failure.Exception.Message
                Left    = @(Get-ChildItem -LiteralPath out -Force).Count
                Report  = (Resolve-Path out).ProviderPath + '/report.html'
            } | ConvertTo-Json -Compress
        }.ToString()

        $r = Invoke-AsUser -Work $work -Body "& { $body } @args"

        $r.ErrorId | Should -Be 'ExportFailed,ScanTools.Commands.ExportScanReportCommand'
        $r.Message | Should -BeLike "The report '$($r.Report)' could not be written: permission denied in the folder*"
        $r.Message | Should -Not -BeLike '*.partial*'
        $r.Left | Should -Be 0
    }
}

Describe 'A catalog of your own in a folder this account cannot write (chmod 555)' {
    It 'is refused by Start-Scan -WhatIf and warned of by Optimize-ScanCatalog -WhatIf, as the real command fails, naming the lock file (-WhatIf gave a clean plan: newcomer test 75)' {
        if ($user.Skip) {
            Set-ItResult -Skipped -Because $user.Skip
            return
        }
        $work = New-TestUserDirectory -Parent $TestDrive -User $user
        $body = {
            $null = New-Item -ItemType Directory -Path tree, cat -Force
            Set-Content -LiteralPath tree/a.txt -Value 'a'
            Import-Module $module
            $null = Start-Scan -Path tree -Database cat/c.db
            Remove-Module ScanTools
            Remove-Item -LiteralPath cat/c.db-scantools.lock -ErrorAction SilentlyContinue
            [IO.File]::SetUnixFileMode((Resolve-Path cat).ProviderPath, [IO.UnixFileMode]'UserRead, UserExecute, GroupRead, GroupExecute, OtherRead, OtherExecute')
            Import-Module $module
            $out = [ordered]@{}
            $null = Optimize-ScanCatalog -Database cat/c.db -KeepRuns 1 -WhatIf -WarningVariable w -WarningAction SilentlyContinue
            $out.WhatIfWarning = "$w"
            try { $null = Start-Scan -Path tree -Database cat/c.db -WhatIf } catch { $out.WhatIfId = $_.FullyQualifiedErrorId; $out.WhatIfMessage = $_.Exception.Message }
            try { Optimize-ScanCatalog -Database cat/c.db -KeepRuns 1 -Confirm:$false } catch { $out.RealId = $_.FullyQualifiedErrorId; $out.RealMessage = $_.Exception.Message }
            $out | ConvertTo-Json -Compress
        }.ToString()

        $r = Invoke-AsUser -Work $work -Body "& { $body } @args"

        $r.RealId | Should -BeLike 'CatalogReadOnly,*'
        $r.WhatIfWarning | Should -BeLike 'Without -WhatIf this fails:*cannot create its lock file*write access to the folder*' -Because 'a preview only reads, and says what the real command meets'
        $r.WhatIfId | Should -BeLike 'CatalogReadOnly,*'
        $r.WhatIfMessage | Should -BeLike '*cannot create its lock file*write access to the folder*'
    }
}

BeforeDiscovery {
    # chattr +i needs root and a file system with the attribute (ext4, xfs, btrfs; not tmpfs or overlayfs).
    $probe = Join-Path ([IO.Path]::GetTempPath()) "scantools-immutable-$PID"
    Set-Content -LiteralPath $probe -Value 'x'
    $canImmutable = $false
    if ((& id -u) -eq '0' -and (Get-Command chattr -ErrorAction Ignore)) {
        & chattr +i $probe 2>$null
        $canImmutable = $LASTEXITCODE -eq 0
        if ($canImmutable) { & chattr -i $probe }
    }
    Remove-Item -LiteralPath $probe -Force
}

Describe 'A catalog made immutable (chattr +i) while its mode allows writing' -Skip:(-not $canImmutable) {
    It 'refuses Start-Scan with CatalogReadOnly, naming the attribute rather than the mode, and reads it' {
        $tree = Join-Path $TestDrive 'imm'
        $null = New-Item -ItemType Directory -Path $tree
        Set-Content -LiteralPath (Join-Path $tree 'a.txt') -Value 'a'
        $db = Join-Path $TestDrive 'imm.db'
        $null = Start-Scan -Path $tree -Database $db
        Remove-Module ScanTools
        Import-Module (Get-ScanToolsTestModulePath) -Force # the writer session closed: the next command opens the file anew
        & chattr +i $db
        try {
            $failure = $null
            try { Start-Scan -Path $tree -Database $db -ErrorAction Stop } catch { $failure = $_ }

            $failure.FullyQualifiedErrorId | Should -Be 'CatalogReadOnly,ScanTools.Commands.StartScanCommand'
            $failure.Exception.Message | Should -BeLike '*immutable*lsattr*'
            $failure.Exception.Message | Should -Not -BeLike '*chmod*'
            (Get-Finding -Database $db).Name | Should -Be 'a.txt'
            # -WhatIf stops with the same error, as the help says (it printed "What if" before).
            { Start-Scan -Path $tree -Database $db -WhatIf } | Should -Throw -ErrorId 'CatalogReadOnly,ScanTools.Commands.StartScanCommand'
            # Optimize-ScanCatalog's preview only reads: it is shown, with what the real run would meet (helper 50).
            $preview = Optimize-ScanCatalog -Database $db -KeepRuns 1 -WhatIf -WarningVariable readOnly -WarningAction SilentlyContinue
            $preview | Should -BeNullOrEmpty
            "$readOnly" | Should -BeLike 'Without -WhatIf this fails:*immutable*'
            { Optimize-ScanCatalog -Database $db -KeepRuns 1 -ErrorAction Stop } | Should -Throw -ErrorId 'CatalogReadOnly,ScanTools.Commands.OptimizeScanCatalogCommand'
        }
        finally {
            & chattr -i $db
        }
    }

    It 'lets Find-DuplicateFile search it with -NoStore, and says so when it cannot store its hashes' {
        $tree = Join-Path $TestDrive 'imm-dups'
        $null = New-Item -ItemType Directory -Path $tree
        Set-Content -LiteralPath (Join-Path $tree 'a.txt') -Value 'same'
        Set-Content -LiteralPath (Join-Path $tree 'b.txt') -Value 'same'
        $db = Join-Path $TestDrive 'imm-dups.db'
        $null = Start-Scan -Path $tree -Database $db
        Remove-Module ScanTools
        Import-Module (Get-ScanToolsTestModulePath) -Force
        & chattr +i $db
        try {
            $failure = $null
            try { Find-DuplicateFile -Database $db -MinSize 0 -ErrorAction Stop } catch { $failure = $_ }
            $failure.FullyQualifiedErrorId | Should -Be 'CatalogReadOnly,ScanTools.Commands.FindDuplicateFileCommand'
            $failure.Exception.Message | Should -BeLike '*-NoStore*'

            $groups = @(Find-DuplicateFile -Database $db -MinSize 0 -NoStore)
            $groups | Should -HaveCount 1
            @($groups[0].Files).Count | Should -Be 2
        }
        finally {
            & chattr -i $db
        }
    }
}
