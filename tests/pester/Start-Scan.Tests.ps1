# Start-Scan: what a user gets from scanning folders into a catalog.
# Error ids are compared as full FullyQualifiedErrorIds ("<id>,<cmdlet class>"): Pester 5's -ErrorId
# matches with -like against the whole FullyQualifiedErrorId, so a bare 'PathNotFound' would not match.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $modulePath = Get-ScanToolsTestModulePath
    Import-Module $modulePath -Force

    $catalogs = Join-Path $TestDrive 'catalogs'
    $trees = Join-Path $TestDrive 'trees'
    $null = New-Item -ItemType Directory -Path $catalogs, $trees -Force
    $cmdlet = 'ScanTools.Commands.StartScanCommand'
}

Describe 'Start-Scan' {

    Context 'scanning the folder that holds its catalog' {
        It 'leaves out the catalog, its -wal, -shm and lock files, scan after scan' {
            $root = Join-Path $trees 'holds-catalog'
            $created = New-TestTree -Path $root -Folders 2 -FilesPerFolder 4
            $db = Join-Path $root 'estate.db'

            $first = Start-Scan -Path $root -Database $db
            $second = Start-Scan -Path $root -Database $db

            Test-Path -LiteralPath "$db-wal" | Should -BeTrue -Because 'the catalog is still open in this session'
            $first.Files | Should -Be $created
            $second.Files | Should -Be $created
            @(Get-Finding -Database $db -Path $root -Name 'estate.db*') | Should -BeNullOrEmpty
        }
    }

    Context 'scanning a generated tree with hidden and dot files' {
        BeforeAll {
            $root = Join-Path $trees 'basic'
            $created = New-TestTree -Path $root -Folders 3 -FilesPerFolder 5
            $expected = Get-TestFileCount -LiteralPath $root
            $expectedBytes = [long](Get-ChildItem -LiteralPath $root -Recurse -File -Force | Measure-Object -Property Length -Sum).Sum
            $expectedDirectories = 1 + @(Get-ChildItem -LiteralPath $root -Recurse -Directory -Force).Count
            $db = New-CatalogPath -Directory $catalogs
            $startedAfter = [datetime]::UtcNow
            $output = @(Start-Scan -Path $root -Database $db)
            $endedBefore = [datetime]::UtcNow
            $run = $output[0]
        }

        It 'returns exactly one ScanTools.Storage.ScanRun' {
            $output | Should -HaveCount 1
            $run | Should -BeOfType ScanTools.Storage.ScanRun
        }

        It 'completes without errors' {
            $run.Status | Should -Be 'Completed'
            $run.Errors | Should -Be 0
            $run.Message | Should -BeNullOrEmpty
        }

        It 'counts every file Get-ChildItem -Force sees, hidden and dot files included' {
            $created | Should -Be $expected
            $run.Files | Should -Be $expected
        }

        It 'records every file in the catalog' {
            $findings = @(Get-Finding -Database $db)
            $findings | Should -HaveCount $expected
            Join-Sorted $findings.FullName | Should -Be (Join-Sorted (Get-ChildItem -LiteralPath $root -Recurse -File -Force).FullName)
        }

        It 'counts the bytes of the files and the folders it listed' {
            $run.Bytes | Should -Be $expectedBytes
            $run.Directories | Should -Be $expectedDirectories
        }

        It 'records the root it scanned' {
            $run.Roots | Should -HaveCount 1
            $run.Roots[0] | Should -Be $root
        }

        It 'reports start, end, duration and rate' {
            $run.StartedUtc | Should -BeGreaterOrEqual $startedAfter.AddSeconds(-2)
            $run.EndedUtc | Should -Not -BeNullOrEmpty
            $run.EndedUtc | Should -BeLessOrEqual $endedBefore.AddSeconds(2)
            $run.EndedUtc | Should -BeGreaterOrEqual $run.StartedUtc
            $run.Duration | Should -Be ($run.EndedUtc - $run.StartedUtc)
            if ($run.Duration.TotalSeconds -gt 0) {
                $run.FilesPerSecond | Should -Be ($run.Files / $run.Duration.TotalSeconds)
                $run.FilesPerSecond | Should -BeGreaterThan 0
            }
            else {
                $run.FilesPerSecond | Should -Be 0
            }
        }

        It 'records the kind, host, user and process of the run' {
            $run.Kind | Should -Be 'Scan'
            $run.Host | Should -Be ([Environment]::MachineName)
            $run.User | Should -Be ([Environment]::UserName)
            $run.ProcessId | Should -Be $PID
            $run.RunKey | Should -Not -Be ([guid]::Empty)
            $run.Id | Should -BeGreaterThan 0
        }

        It 'records the options it ran with as JSON' {
            $options = $run.Options | ConvertFrom-Json
            $options.Hash | Should -BeFalse
            $options.FollowSymlinks | Should -BeFalse
            @($options.Roots) | Should -Be @($root)
        }

        It 'lets Get-ScanRun read the same run back' {
            $stored = @(Get-ScanRun -Database $db)
            $stored | Should -HaveCount 1
            $stored[0].Id | Should -Be $run.Id
            $stored[0].Files | Should -Be $run.Files
            $stored[0].RunKey | Should -Be $run.RunKey
        }
    }

    Context 'binding from the pipeline' {
        BeforeAll {
            $pipeRoot = Join-Path $trees 'pipe'
            $null = New-TestTree -Path $pipeRoot -Folders 3 -FilesPerFolder 2
        }

        It 'scans folder paths piped as strings in one run with two roots' {
            $a = Join-Path $pipeRoot 'd1'
            $b = Join-Path $pipeRoot 'd2'
            $db = New-CatalogPath -Directory $catalogs

            $output = @($a, $b | Start-Scan -Database $db)

            $output | Should -HaveCount 1
            Join-Sorted $output[0].Roots | Should -Be (Join-Sorted @($a, $b))
            $output[0].Files | Should -Be ((Get-TestFileCount -LiteralPath $a) + (Get-TestFileCount -LiteralPath $b))
        }

        It 'binds Get-Item output by PSPath' {
            $dir = Join-Path $pipeRoot 'd3'
            $db = New-CatalogPath -Directory $catalogs

            $output = @(Get-Item -LiteralPath $dir | Start-Scan -Database $db)

            $output | Should -HaveCount 1
            $output[0].Roots | Should -Be @($dir)
            $output[0].Files | Should -Be (Get-TestFileCount -LiteralPath $dir)
        }

        It 'scans every folder Get-ChildItem -Directory emits in one run' {
            $dirs = @(Get-ChildItem -LiteralPath $pipeRoot -Directory)
            $dirs.Count | Should -BeGreaterThan 1
            $expectedFiles = ($dirs | ForEach-Object { Get-TestFileCount -LiteralPath $_.FullName } | Measure-Object -Sum).Sum
            $db = New-CatalogPath -Directory $catalogs

            $output = @($dirs | Start-Scan -Database $db)

            $output | Should -HaveCount 1
            Join-Sorted $output[0].Roots | Should -Be (Join-Sorted $dirs.FullName)
            $output[0].Files | Should -Be $expectedFiles
            @(Get-Finding -Database $db) | Should -HaveCount $expectedFiles
        }

        It 'keeps a root nested in another root as a root of its own, and still scans each file once' {
            $db = New-CatalogPath -Directory $catalogs
            $nested = Join-Path $pipeRoot 'd1'

            $run = Start-Scan -Path $pipeRoot, $nested -Database $db

            $run.Roots | Should -Be @($pipeRoot, $nested)
            $run.Files | Should -Be (Get-TestFileCount -LiteralPath $pipeRoot)
            @(Get-Finding -Database $db) | Should -HaveCount (Get-TestFileCount -LiteralPath $pipeRoot)
        }
    }

    Context 'resolving paths' {
        BeforeAll {
            $pathRoot = Join-Path $trees 'paths'
            $null = New-TestTree -Path $pathRoot -Folders 3 -FilesPerFolder 2
        }

        It 'resolves a relative path against the PowerShell location, not the process directory' {
            $psHere = New-TestDirectory -Parent $trees
            $processHere = New-TestDirectory -Parent $trees
            $null = New-TestFile -Path (Join-Path $psHere 'sub' 'a.txt') -Content 'a'
            $null = New-TestFile -Path (Join-Path $psHere 'sub' 'b.txt') -Content 'b'
            $null = New-TestFile -Path (Join-Path $processHere 'sub' 'only.txt') -Content 'o'
            $db = New-CatalogPath -Directory $catalogs
            $savedProcessDirectory = [Environment]::CurrentDirectory

            Push-Location -LiteralPath $psHere
            try {
                [Environment]::CurrentDirectory = $processHere
                $run = Start-Scan -Path ./sub -Database $db
            }
            finally {
                [Environment]::CurrentDirectory = $savedProcessDirectory
                Pop-Location
            }

            $run.Roots | Should -Be @(Join-Path $psHere 'sub')
            $run.Files | Should -Be 2
        }

        It 'accepts a provider-qualified path' {
            $dir = Join-Path $pathRoot 'd1'
            $db = New-CatalogPath -Directory $catalogs

            $run = Start-Scan -Path "Microsoft.PowerShell.Core\FileSystem::$dir" -Database $db

            $run.Roots | Should -Be @($dir)
            $run.Files | Should -Be (Get-TestFileCount -LiteralPath $dir)
        }

        It 'says a relative path is relative to a location that is not a folder when the current location is Env: (newcomer test 73)' {
            $db = New-CatalogPath -Directory $catalogs
            $stop = $null
            Push-Location Env:
            try {
                try { $null = Start-Scan -Path 'd1' -Database $db -ErrorVariable first -ErrorAction SilentlyContinue } catch { $stop = $_ }
            }
            finally { Pop-Location }
            $stop.FullyQualifiedErrorId | Should -BeLike 'NoFolderToScan*'
            "$stop" | Should -BeLike "*'d1' is relative to a location that is not a folder*"
            "$($first[0])" | Should -BeLike "*'d1' is relative to the current location 'Env:*Set-Location to a folder*"
        }

        It 'refuses a -Database that leaves its drive''s root as InvalidCatalogPath, not PowerShell''s bare Argument (newcomer test 73)' {
            $null = New-PSDrive -Name STDrive -PSProvider FileSystem -Root $pathRoot
            try {
                { Get-ScanRun -Database 'STDrive:/../c.db' } | Should -Throw -ErrorId 'InvalidCatalogPath,ScanTools.Commands.GetScanRunCommand' -ExpectedMessage '*outside the base*Give the full path*'
            }
            finally { Remove-PSDrive -Name STDrive }
        }

        It 'expands wildcards into the roots of one run' {
            $db = New-CatalogPath -Directory $catalogs
            $matched = @('d1', 'd2', 'd3' | ForEach-Object { Join-Path $pathRoot $_ })

            $output = @(Start-Scan -Path (Join-Path $pathRoot 'd*') -Database $db)

            $output | Should -HaveCount 1
            Join-Sorted $output[0].Roots | Should -Be (Join-Sorted $matched)
            $output[0].Files | Should -Be (($matched | ForEach-Object { Get-TestFileCount -LiteralPath $_ } | Measure-Object -Sum).Sum)
        }

        It 'takes -LiteralPath literally, so a folder named a[1] is scanned and a1 is not' {
            $base = New-TestDirectory -Parent $trees
            $bracketed = [IO.Path]::Combine($base, 'a[1]')
            $null = New-TestFile -Path ([IO.Path]::Combine($bracketed, 'one.txt')) -Content '1'
            $null = New-TestFile -Path ([IO.Path]::Combine($bracketed, 'two.txt')) -Content '2'
            $null = New-TestFile -Path ([IO.Path]::Combine($base, 'a1', 'decoy.txt')) -Content 'd'
            $db = New-CatalogPath -Directory $catalogs

            $run = Start-Scan -LiteralPath $bracketed -Database $db

            $run.Roots | Should -Be @($bracketed)
            $run.Files | Should -Be 2
            Join-Sorted (Get-Finding -Database $db).Name | Should -Be 'one.txt|two.txt'
        }

        It 'reports a non-file-system path <Path> as InvalidPath' -ForEach @(
            @{ Path = 'Env:\' }
            @{ Path = 'NoSuchDrive9:\folder' }
        ) {
            $db = New-CatalogPath -Directory $catalogs

            $output = try { Start-Scan -Path $Path -Database $db -ErrorVariable scanErrors -ErrorAction SilentlyContinue } catch { $ended = $_ }

            $output | Should -BeNullOrEmpty
            $scanErrors[0].FullyQualifiedErrorId | Should -Be "InvalidPath,$cmdlet"
            $ended.FullyQualifiedErrorId | Should -Be "NoFolderToScan,$cmdlet" -Because 'with nothing left to scan the command fails'
            $ended.Exception.ExitCode | Should -Be 'BadArguments'
            Test-Path -LiteralPath $db | Should -BeFalse
        }
    }

    Context 'path errors' {
        BeforeAll {
            $errorRoot = Join-Path $trees 'errors'
            $null = New-TestTree -Path $errorRoot -Folders 1 -FilesPerFolder 3
            $missing = Join-Path $trees 'does-not-exist'
            $aFile = Join-Path $errorRoot 'top.txt'
        }

        It 'reports a missing path as a non-terminating PathNotFound error and still scans the valid path' {
            $db = New-CatalogPath -Directory $catalogs

            $run = Start-Scan -Path $missing, $errorRoot -Database $db -ErrorVariable scanErrors -ErrorAction SilentlyContinue

            $scanErrors | Should -HaveCount 1
            $scanErrors[0].FullyQualifiedErrorId | Should -Be "PathNotFound,$cmdlet"
            $scanErrors[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $scanErrors[0].TargetObject | Should -Be $missing
            $run | Should -BeOfType ScanTools.Storage.ScanRun
            $run.Status | Should -Be 'Completed'
            $run.Files | Should -Be (Get-TestFileCount -LiteralPath $errorRoot)
            # An unmounted share must not make a clean night: the run records the folder and counts the error (exit code 3).
            Join-Sorted $run.Roots | Should -Be (Join-Sorted $missing, $errorRoot)
            $run.Errors | Should -Be 1
            $run.ExitCode | Should -Be 'CompletedWithErrors'
            $stored = @(Get-ScanError -Database $db -ScanId $run.Id)
            $stored.Kind | Should -Be @('RootNotFound')
            $stored.FullName | Should -Be @($missing)
        }

        It 'turns PathNotFound into a terminating error with -ErrorAction Stop' {
            $db = New-CatalogPath -Directory $catalogs

            { Start-Scan -Path $missing -Database $db -ErrorAction Stop } |
                Should -Throw -ErrorId "PathNotFound,$cmdlet"
            Test-Path -LiteralPath $db | Should -BeFalse
        }

        It 'scans an existing folder whose name has an unclosed [ given to -Path, with the other folders (it ended the command)' {
            $db = New-CatalogPath -Directory $catalogs
            $oddParent = Join-Path $TestDrive 'odd-names' # apart from $trees, which other tests list with wildcards
            $odd = Join-Path $oddParent "odd[name"
            $plain = Join-Path $oddParent 'plain-next-to-odd'
            $null = New-TestFile -Path (Join-Path $odd 'a.txt') -Content 'a'
            $null = New-TestFile -Path (Join-Path $plain 'b.txt') -Content 'b'

            $run = Start-Scan -Path $plain, $odd -Database $db -ErrorVariable scanErrors

            $scanErrors | Should -BeNullOrEmpty
            Join-Sorted $run.Roots | Should -Be (Join-Sorted $plain, $odd)
            $run.Files | Should -Be 2
            { Start-Scan -Path (Join-Path $oddParent "no-such[name") -Database $db -ErrorAction Stop } | Should -Throw -ErrorId "PathNotFound,$cmdlet"
            # A name that reads as a pattern matching nothing, but is a folder's own name, is scanned as named, without an error.
            $bracket = Join-Path $oddParent 'br[a]ck'
            $null = New-TestFile -Path (Join-Path $bracket 'c.txt') -Content 'c'
            $again = Start-Scan -Path $plain, $bracket -Database (New-CatalogPath -Directory $catalogs) -ErrorVariable bracketErrors
            $bracketErrors | Should -BeNullOrEmpty
            Join-Sorted $again.Roots | Should -Be (Join-Sorted $plain, $bracket)
            $again.Files | Should -Be 2
            $again.Errors | Should -Be 0
        }

        It 'reports a wildcard path that matches no folder as PathNotFound and still scans the valid path' {
            $db = New-CatalogPath -Directory $catalogs
            $pattern = Join-Path $trees 'no-folder-matches-*'

            $run = Start-Scan -Path $pattern, $errorRoot -Database $db -ErrorVariable scanErrors -ErrorAction SilentlyContinue

            $scanErrors | Should -HaveCount 1
            $scanErrors[0].FullyQualifiedErrorId | Should -Be "PathNotFound,$cmdlet"
            $scanErrors[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $scanErrors[0].TargetObject | Should -Be $pattern
            $scanErrors[0].Exception.Message | Should -BeLike 'No folder matches*'
            $run.Status | Should -Be 'Completed'
            Join-Sorted $run.Roots | Should -Be (Join-Sorted $pattern, $errorRoot)
            $run.Errors | Should -Be 1 -Because 'a pattern that matches nothing (an unmounted /mnt/share*) must not make a clean run'
            $run.ExitCode | Should -Be 'CompletedWithErrors'
            @(Get-ScanError -Database $db -ScanId $run.Id).Kind | Should -Be @('RootNotFound')
            (Get-ScanError -Database $db -ScanId $run.Id).Message | Should -BeLike 'No folder matches this wildcard path*' -Because 'the folder is not missing: nothing matched the pattern'
        }

        It 'reports a wildcard path that matches nothing, on its own, without creating a catalog' {
            $db = New-CatalogPath -Directory $catalogs

            $output = try { Start-Scan -Path (Join-Path $trees 'nothing-here-?') -Database $db -ErrorVariable scanErrors -ErrorAction SilentlyContinue } catch { $ended = $_ }

            $output | Should -BeNullOrEmpty
            $scanErrors[0].FullyQualifiedErrorId | Should -Be "PathNotFound,$cmdlet"
            $ended.FullyQualifiedErrorId | Should -Be "NoFolderToScan,$cmdlet"
            "$ended" | Should -BeLike "*none of the paths given is a folder: '$(Join-Path $trees 'nothing-here-?')' matches no folder.*" -Because 'with -ErrorAction SilentlyContinue, as a scheduled line runs, the message alone must say which path and why'
            Test-Path -LiteralPath $db | Should -BeFalse
        }

        It 'names piped files by their file-system paths when none of them is a folder' {
            $db = New-CatalogPath -Directory $catalogs
            $files = @(Get-ChildItem -LiteralPath $trees -File -Recurse | Select-Object -First 5)

            try { $files | Start-Scan -Database $db -ErrorAction SilentlyContinue } catch { $ended = $_ }

            $ended.FullyQualifiedErrorId | Should -Be "NoFolderToScan,$cmdlet"
            "$ended" | Should -BeLike "*: '$($files[0].FullName)' is a file; *and 1 more*"
            "$ended" | Should -Not -BeLike '*FileSystem::*' -Because 'piped files were named by their provider-qualified PSPath'
        }

        It 'says an empty pipeline was empty, not that errors were reported' {
            $db = New-CatalogPath -Directory $catalogs

            { @() | Start-Scan -Database $db } | Should -Throw -ErrorId "NoFolderToScan,$cmdlet" -ExpectedMessage '*pipeline*empty*'
        }

        It 'says, after an empty string piped, that PowerShell refused what came, not only that the pipeline was empty' {
            $db = New-CatalogPath -Directory $catalogs

            { '' | Start-Scan -Database $db -ErrorAction SilentlyContinue } | Should -Throw -ErrorId "NoFolderToScan,$cmdlet" -ExpectedMessage '*or PowerShell refused what came, such as an empty string*'
            Test-Path -LiteralPath $db | Should -BeFalse
        }

        It 'collects PathNotFound in -ErrorVariable, then fails with NoFolderToScan (exit code BadArguments) and creates no catalog' {
            $db = New-CatalogPath -Directory $catalogs

            $output = try { Start-Scan -Path $missing -Database $db -ErrorAction SilentlyContinue -ErrorVariable scanErrors } catch { $ended = $_ }

            $output | Should -BeNullOrEmpty
            $scanErrors[0].FullyQualifiedErrorId | Should -Be "PathNotFound,$cmdlet"
            $ended.FullyQualifiedErrorId | Should -Be "NoFolderToScan,$cmdlet"
            $ended.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $ended.Exception.Message | Should -BeLike 'Nothing to scan*'
            $ended.Exception.Message | Should -BeLike "*'$missing' does not exist*" -Because 'the errors before it are hidden by -ErrorAction SilentlyContinue (newcomer test 68)'
            $ended.Exception.Message | Should -Not -BeLike '*errors before this one say why*'
            [int]$ended.Exception.ExitCode | Should -Be 2
            Test-Path -LiteralPath $db | Should -BeFalse
        }

        It 'scans the folders a wildcard path matches and passes over the files it matches, silently' {
            $mixed = New-TestDirectory -Parent $trees
            $null = New-TestFile -Path (Join-Path $mixed 'loose-1.txt') -Content '1'
            $null = New-TestFile -Path (Join-Path $mixed 'loose-2.txt') -Content '2'
            $null = New-TestFile -Path (Join-Path $mixed 'sub/in.txt') -Content '3'
            $db = New-CatalogPath -Directory $catalogs

            $run = Start-Scan -Path (Join-Path $mixed '*') -Database $db -ErrorVariable scanErrors

            $scanErrors | Should -BeNullOrEmpty
            $run.Roots | Should -Be @((Join-Path $mixed 'sub'))
            $run.Files | Should -Be 1
        }

        It 'ends the run Cancelled, naming the error item, every time -ErrorAction Stop stops it (Linux/macOS)' -Skip:$IsWindows {
            $loop = New-TestDirectory -Parent $trees
            $null = New-Item -ItemType Directory -Path (Join-Path $loop 'a') -Force
            $null = New-TestFile -Path (Join-Path $loop 'a/f.txt') -Content 'f'
            $null = New-Item -ItemType SymbolicLink -Path (Join-Path $loop 'a/back') -Target $loop

            foreach ($i in 1..5) {
                $db = New-CatalogPath -Directory $catalogs
                { Start-Scan -Path $loop -Database $db -FollowSymlink -ErrorAction Stop } | Should -Throw -ErrorId "SymlinkLoop,$cmdlet"
                $run = Get-ScanRun -Database $db -Last 1
                $run.Status | Should -Be 'Cancelled' -Because "attempt $i"
                $run.Message | Should -BeLike 'Stopped at the error item SymlinkLoop of *. Everything found before that is kept.'
            }
        }

        It 'reports a file given as a folder as PathIsFile' {
            $db = New-CatalogPath -Directory $catalogs

            $output = try { Start-Scan -Path $aFile -Database $db -ErrorAction SilentlyContinue -ErrorVariable scanErrors } catch { $ended = $_ }

            $output | Should -BeNullOrEmpty
            $ended.FullyQualifiedErrorId | Should -Be "NoFolderToScan,$cmdlet"
            $scanErrors[0].FullyQualifiedErrorId | Should -Be "PathIsFile,$cmdlet"
            $scanErrors[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $scanErrors[0].TargetObject | Should -Be $aFile
            Test-Path -LiteralPath $db | Should -BeFalse
        }

        It 'records a file given beside a folder as a RootNotFound error item of the run, so it does not end clean' {
            $db = New-CatalogPath -Directory $catalogs
            $folder = Split-Path -Parent $aFile

            $run = Start-Scan -Path $aFile, $folder -Database $db -ErrorAction SilentlyContinue -ErrorVariable scanErrors

            @($scanErrors | Where-Object FullyQualifiedErrorId -EQ "PathIsFile,$cmdlet") | Should -HaveCount 1
            $run.Errors | Should -Be 1 -Because 'a scheduled root that became a file reported a clean night: Errors 0, exit code 0'
            $run.ExitCode | Should -Not -Be 'Completed'
            $item = @(Get-ScanError -Database $db -ScanId $run.Id)
            $item.Kind | Should -Be @('RootNotFound')
            $item[0].Message | Should -BeLike '*is a file, not a folder*'
            @($scanErrors).Count | Should -Be 1 -Because 'the file is reported once, as PathIsFile'
        }

        It 'reports an unreadable folder as a non-terminating DirectoryUnreadable error and completes (Linux/macOS)' -Skip:$IsWindows {
            if (Test-IsRoot) {
                Set-ItResult -Skipped -Because 'running as root: folder permissions do not stop root from listing'
                return
            }
            $base = New-TestDirectory -Parent $trees
            $null = New-TestFile -Path (Join-Path $base 'readable.txt') -Content 'r'
            $null = New-TestFile -Path (Join-Path $base 'locked' 'secret.txt') -Content 's'
            $locked = Join-Path $base 'locked'
            $info = [IO.DirectoryInfo]::new($locked)
            $savedMode = $info.UnixFileMode
            $db = New-CatalogPath -Directory $catalogs

            $info.UnixFileMode = [IO.UnixFileMode]::None
            try {
                $run = Start-Scan -Path $base -Database $db -ErrorAction SilentlyContinue -ErrorVariable scanErrors
            }
            finally {
                $info.UnixFileMode = $savedMode
            }

            $scanErrors | Should -HaveCount 1
            $scanErrors[0].FullyQualifiedErrorId | Should -Be "DirectoryUnreadable,$cmdlet"
            $scanErrors[0].CategoryInfo.Category | Should -Be 'PermissionDenied'
            $scanErrors[0].TargetObject | Should -Be $locked
            $run.Status | Should -Be 'Completed'
            $run.Errors | Should -Be 1
            $run.Files | Should -Be 1
            $stored = @($run | Get-ScanError -Database $db)
            $stored | Should -HaveCount 1
            $stored[0].Kind | Should -Be 'DirectoryUnreadable'
            $stored[0].FullName | Should -Be $locked
        }
    }

    Context 'parameter validation' {
        BeforeAll {
            $validationRoot = Join-Path $trees 'validation'
            $null = New-TestTree -Path $validationRoot -Folders 1 -FilesPerFolder 1
        }

        It 'rejects -ThrottleLimit <Limit> by validation' -ForEach @(
            @{ Limit = 0 }
            @{ Limit = 257 }
        ) {
            $db = New-CatalogPath -Directory $catalogs

            { Start-Scan -Path $validationRoot -ThrottleLimit $Limit -Database $db } |
                Should -Throw -ErrorId "ParameterArgumentValidationError,$cmdlet"
            Test-Path -LiteralPath $db | Should -BeFalse
        }

        It 'rejects a negative -MaxDepth by validation' {
            { Start-Scan -Path $validationRoot -MaxDepth -1 -Database (New-CatalogPath -Directory $catalogs) } |
                Should -Throw -ErrorId "ParameterArgumentValidationError,$cmdlet"
        }

        It 'rejects a malformed -Exclude wildcard with InvalidScanOptions and creates no catalog' {
            $db = New-CatalogPath -Directory $catalogs

            { Start-Scan -Path $validationRoot -Exclude 'a[' -Database $db } |
                Should -Throw -ErrorId "InvalidScanOptions,$cmdlet"
            Test-Path -LiteralPath $db | Should -BeFalse
        }

        It 'rejects an -IgnoreFile with a rule that cannot work with InvalidScanOptions and creates no catalog' {
            $db = New-CatalogPath -Directory $catalogs
            $rules = Join-Path $TestDrive 'lone-backslash.gitignore'
            Set-Content -LiteralPath $rules -Value 'foo\'

            { Start-Scan -Path $validationRoot -IgnoreFile $rules -Database $db } |
                Should -Throw -ErrorId "InvalidScanOptions,$cmdlet"
            Test-Path -LiteralPath $db | Should -BeFalse
        }

        It 'rejects an empty -Database by validation' {
            { Start-Scan -Path $validationRoot -Database '' } |
                Should -Throw -ErrorId "ParameterArgumentValidationError,$cmdlet"
        }
    }

    Context 'scan options' {
        BeforeAll {
            $optionRoot = Join-Path $trees 'options'
            $null = New-TestTree -Path $optionRoot -Folders 3 -FilesPerFolder 3
            $optionCount = Get-TestFileCount -LiteralPath $optionRoot
        }

        It 'leaves out files matching an -Exclude name pattern' {
            $db = New-CatalogPath -Directory $catalogs
            $logs = @(Get-ChildItem -LiteralPath $optionRoot -Recurse -File -Force -Filter '*.log')
            $logs.Count | Should -BeGreaterThan 0

            $run = Start-Scan -Path $optionRoot -Exclude '*.log' -Database $db

            $run.Files | Should -Be ($optionCount - $logs.Count)
            Get-Finding -Database $db -Extension log | Should -BeNullOrEmpty
        }

        It 'does not enter a folder matching an -Exclude name pattern anywhere in the tree' {
            $db = New-CatalogPath -Directory $catalogs
            $inSub = @(Get-ChildItem -LiteralPath $optionRoot -Recurse -File -Force | Where-Object { $_.Directory.Name -eq 'sub' })
            $inSub.Count | Should -Be 6

            $run = Start-Scan -Path $optionRoot -Exclude 'sub' -Database $db

            $run.Files | Should -Be ($optionCount - $inSub.Count)
            Get-Finding -Database $db -Name 'nested*' | Should -BeNullOrEmpty
        }

        It 'leaves out only the root''s own folder with an -Exclude pattern that starts with a separator' {
            $base = New-TestDirectory -Parent $trees
            $null = New-TestFile -Path (Join-Path $base 'build' 'top-build.txt') -Content 'b'
            $nested = New-TestFile -Path (Join-Path $base 'src' 'build' 'nested-build.txt') -Content 'n'
            $null = New-TestFile -Path (Join-Path $base 'src' 'main.txt') -Content 'm'
            $null = New-TestFile -Path (Join-Path $base 'readme.txt') -Content 'r'
            $db = New-CatalogPath -Directory $catalogs

            $run = Start-Scan -Path $base -Exclude '/build' -Database $db

            $run.Files | Should -Be 3
            Join-Sorted (Get-Finding -Database $db).Name | Should -BeExactly 'main.txt|nested-build.txt|readme.txt'
            (Get-Finding -Database $db -Name 'nested-build.txt').FullName | Should -Be $nested
        }

        It 'leaves out every folder of that name with an -Exclude name pattern without a separator' {
            $base = New-TestDirectory -Parent $trees
            $null = New-TestFile -Path (Join-Path $base 'build' 'top-build.txt') -Content 'b'
            $null = New-TestFile -Path (Join-Path $base 'src' 'build' 'nested-build.txt') -Content 'n'
            $null = New-TestFile -Path (Join-Path $base 'src' 'main.txt') -Content 'm'
            $null = New-TestFile -Path (Join-Path $base 'readme.txt') -Content 'r'
            $db = New-CatalogPath -Directory $catalogs

            $run = Start-Scan -Path $base -Exclude 'build' -Database $db

            $run.Files | Should -Be 2
            Join-Sorted (Get-Finding -Database $db).Name | Should -BeExactly 'main.txt|readme.txt'
        }

        It 'leaves out only the folder an -Exclude relative path names' {
            $db = New-CatalogPath -Directory $catalogs
            $excludedDir = Join-Path $optionRoot 'd1' 'sub'
            $excludedCount = Get-TestFileCount -LiteralPath $excludedDir

            $run = Start-Scan -Path $optionRoot -Exclude 'd1/sub' -Database $db

            $run.Files | Should -Be ($optionCount - $excludedCount)
            Get-Finding -Database $db -Path $excludedDir | Should -BeNullOrEmpty
            @(Get-Finding -Database $db -Path (Join-Path $optionRoot 'd2' 'sub')) | Should -HaveCount (Get-TestFileCount -LiteralPath (Join-Path $optionRoot 'd2' 'sub'))
        }

        It 'scans only the root''s own files with -MaxDepth 0' {
            $db = New-CatalogPath -Directory $catalogs

            $run = Start-Scan -Path $optionRoot -MaxDepth 0 -Database $db

            $run.Files | Should -Be (Get-TestFileCount -LiteralPath $optionRoot -Depth 0)
            $run.Files | Should -BeLessThan $optionCount
            $run.Directories | Should -Be 1
        }

        It 'scans the root and its child folders with -MaxDepth 1' {
            $db = New-CatalogPath -Directory $catalogs

            $run = Start-Scan -Path $optionRoot -MaxDepth 1 -Database $db

            $run.Files | Should -Be (Get-TestFileCount -LiteralPath $optionRoot -Depth 1)
            $run.Files | Should -BeLessThan $optionCount
            Get-Finding -Database $db -Name 'nested*' | Should -BeNullOrEmpty
        }

        It 'records the SHA-256 of every file with -Hash' {
            $db = New-CatalogPath -Directory $catalogs

            $run = Start-Scan -Path $optionRoot -Hash -Database $db

            ($run.Options | ConvertFrom-Json).Hash | Should -BeTrue
            $files = @(Get-ChildItem -LiteralPath $optionRoot -Recurse -File -Force)
            foreach ($file in $files) {
                $finding = @(Get-Finding -Database $db -Path $file.FullName)
                $finding | Should -HaveCount 1 -Because $file.FullName
                $finding[0].Sha256 | Should -Be (Get-FileHash -LiteralPath $file.FullName -Algorithm SHA256).Hash -Because $file.FullName
            }
        }

        It 'records no digest without -Hash' {
            $db = New-CatalogPath -Directory $catalogs

            $null = Start-Scan -Path $optionRoot -Database $db

            @(Get-Finding -Database $db | Where-Object { $null -ne $_.Sha256 }) | Should -BeNullOrEmpty
        }

        It 'scans with a single walker thread with -ThrottleLimit 1' {
            $db = New-CatalogPath -Directory $catalogs

            $run = Start-Scan -Path $optionRoot -ThrottleLimit 1 -Database $db

            $run.Status | Should -Be 'Completed'
            $run.Files | Should -Be $optionCount
            ($run.Options | ConvertFrom-Json).ThrottleLimit | Should -Be 1
        }

        It 'emits a FileRecord for every file before the ScanRun with -PassThru' {
            $db = New-CatalogPath -Directory $catalogs

            $output = @(Start-Scan -Path $optionRoot -PassThru -Database $db)

            $output | Should -HaveCount ($optionCount + 1)
            $output[-1] | Should -BeOfType ScanTools.Storage.ScanRun
            $output[-1].Files | Should -Be $optionCount
            $records = @($output | Select-Object -First $optionCount)
            @($records | Where-Object { $_ -isnot [ScanTools.Scanning.FileRecord] }) | Should -BeNullOrEmpty
            Join-Sorted $records.FullName | Should -Be (Join-Sorted (Get-ChildItem -LiteralPath $optionRoot -Recurse -File -Force).FullName)
            $records[0].PSPath | Should -Be $records[0].FullName
        }

        It 'gives -PassThru records of names PowerShell would read as another file no PSPath, so Remove-Item cannot remove that file (newcomer test 79)' -Skip:$IsWindows {
            $tree = New-TestDirectory -Parent $trees
            $null = New-Item -ItemType Directory -Path (Join-Path $tree 'cfg')
            [IO.File]::WriteAllText("$tree/cfg\app.env", "DB_PASSWORD=Sup3rS3cretValue99`n")
            [IO.File]::WriteAllText("$tree/cfg/app.env", "innocent`n")
            $db = New-CatalogPath -Directory $catalogs

            $records = @(Start-Scan -Path $tree -PassThru -Database $db | Where-Object { $_ -is [ScanTools.Scanning.FileRecord] })
            ($records | Where-Object Name -EQ 'cfg\app.env').PSPath | Should -BeNullOrEmpty
            ($records | Where-Object Name -EQ 'app.env').PSPath | Should -Be "$tree/cfg/app.env"
            $records | Where-Object Name -EQ 'cfg\app.env' | Remove-Item -ErrorAction SilentlyContinue
            Get-Content -LiteralPath "$tree/cfg/app.env" | Should -Be 'innocent'
            @($records | Where-Object Name -EQ 'cfg\app.env' | Get-Finding -Database $db -ErrorAction Stop).FullName | Should -Be "$tree/cfg\app.env"
        }

        It 'writes nothing and creates no catalog with -WhatIf' {
            $db = New-CatalogPath -Directory $catalogs

            $output = Start-Scan -Path $optionRoot -Database $db -WhatIf

            $output | Should -BeNullOrEmpty
            Test-Path -LiteralPath $db | Should -BeFalse
        }

        It 'scans with -Durability Full' {
            $db = New-CatalogPath -Directory $catalogs

            $run = Start-Scan -Path $optionRoot -Durability Full -Database $db

            $run.Status | Should -Be 'Completed'
            $run.Files | Should -Be $optionCount
            @(Get-Finding -Database $db) | Should -HaveCount $optionCount
        }
    }

    Context 'a folder given inside another folder given' {
        It 'scans the inner folder as a root of its own, with -MaxDepth counted from it, and lists each folder once' {
            $nest = New-TestDirectory -Parent $trees
            foreach ($f in 'top', 'a/one', 'a/b/c/deep', 'a/b/c/d/deeper') {
                $null = New-TestFile -Path (Join-Path $nest $f) -Content $f
            }
            $inner = Join-Path $nest 'a/b/c'
            $db = New-CatalogPath -Directory $catalogs

            $run = Start-Scan -Path $nest, $inner -Database $db -MaxDepth 0

            $expected = @(Get-ChildItem -LiteralPath $nest -File -Force) + @(Get-ChildItem -LiteralPath $inner -File -Force)
            Join-Sorted (Get-Finding -Database $db).FullName | Should -Be (Join-Sorted $expected.FullName)
            Join-Sorted $run.Roots | Should -Be (Join-Sorted $nest, $inner)
            $run.Directories | Should -Be 2
        }

        It 'scans a folder given by name even when the outer folder''s -Exclude leaves it out there' {
            $project = New-TestDirectory -Parent $trees
            foreach ($f in 'app.js', 'lib/a.js', 'node_modules/m.js', 'node_modules/dep/d.js', 'node_modules/dep/node_modules/n.js', 'lib/node_modules/l.js') {
                $null = New-TestFile -Path (Join-Path $project $f) -Content $f
            }
            $modules = Join-Path $project 'node_modules'
            $db = New-CatalogPath -Directory $catalogs

            $run = Start-Scan -Path $project, $modules -Exclude node_modules -Database $db

            # -Exclude still applies below each folder given: only the named node_modules is scanned, and once.
            $keptBelow = { param($folder, $file)
                $relative = [IO.Path]::GetRelativePath($folder, $file.DirectoryName)
                -not $relative.StartsWith('..') -and ($relative -split '[\\/]') -notcontains 'node_modules'
            }
            $expected = @(Get-ChildItem -LiteralPath $project -Recurse -File -Force |
                    Where-Object { (& $keptBelow $project $_) -or (& $keptBelow $modules $_) })
            Join-Sorted (Get-Finding -Database $db).FullName | Should -Be (Join-Sorted $expected.FullName)
            $run.Files | Should -Be $expected.Count
        }
    }

    Context 'stopping a scan from the pipeline' {
        BeforeAll {
            # Big enough that a hashed walk on one thread is still going when the pipeline stops it.
            $bigRoot = Join-Path $trees 'big'
            $bigCount = New-TestTree -Path $bigRoot -Folders 60 -FilesPerFolder 50
        }

        It 'throws at an error item with -ErrorAction Stop and ends the run Cancelled, keeping the item' {
            # A root that exists when Start-Scan receives it but is gone when the walk starts: the error item
            # RootNotFound. (A root missing from the start is PathNotFound, reported before any run begins.)
            $doomed = New-TestDirectory -Parent $trees
            $null = New-TestFile -Path (Join-Path $doomed 'gone.txt') -Content 'gone'
            $db = New-CatalogPath -Directory $catalogs

            {
                $bigRoot, $doomed |
                    ForEach-Object -Process { $_ } -End { Remove-Item -LiteralPath $doomed -Recurse -Force } |
                    Start-Scan -Hash -ThrottleLimit 1 -Database $db -ErrorAction Stop
            } | Should -Throw -ErrorId "RootNotFound,$cmdlet"

            $run = Get-ScanRun -Database $db -Last 1
            $run.Kind | Should -Be 'Scan'
            $run.Status | Should -Be 'Cancelled'
            $run.Message | Should -BeLike 'Stopped at the error item RootNotFound of *'
            $run.Message | Should -BeLike '*Everything found before that is kept.'
            $run.EndedUtc | Should -Not -BeNullOrEmpty
            $run.Files | Should -BeLessThan $bigCount
            @(Get-Finding -Database $db) | Should -HaveCount $run.Files
            $stored = @(Get-ScanError -Database $db -ScanId $run.Id)
            $stored | Should -HaveCount 1
            $stored[0].Kind | Should -Be 'RootNotFound'
            $stored[0].FullName | Should -Be $doomed
        }

        It 'ends the run Cancelled when a Select-Object -First further down stops the pipeline' {
            $db = New-CatalogPath -Directory $catalogs

            $first = @(Start-Scan -Path $bigRoot -Hash -ThrottleLimit 1 -PassThru -Database $db | Select-Object -First 1)

            $first | Should -HaveCount 1
            $first[0] | Should -BeOfType ScanTools.Scanning.FileRecord
            $run = Get-ScanRun -Database $db -Last 1
            $run.Status | Should -Be 'Cancelled'
            $run.Message | Should -BeLike 'Stopped by the caller, which takes no more records*'
            $run.Message | Should -BeLike '*Everything found before that is kept.'
            @(Get-Finding -Database $db) | Should -HaveCount $run.Files
            Get-ScanSession -Database $db | Should -BeNullOrEmpty
        }

        It 'stores a root that disappeared before the walk as a RootNotFound error item and completes' {
            $doomed = New-TestDirectory -Parent $trees
            $valid = New-TestDirectory -Parent $trees
            $null = New-TestFile -Path (Join-Path $valid 'kept.txt') -Content 'kept'
            $db = New-CatalogPath -Directory $catalogs

            $run = $valid, $doomed |
                ForEach-Object -Process { $_ } -End { Remove-Item -LiteralPath $doomed -Recurse -Force } |
                Start-Scan -Database $db -ErrorAction SilentlyContinue -ErrorVariable scanErrors

            $scanErrors | Should -HaveCount 1
            $scanErrors[0].FullyQualifiedErrorId | Should -Be "RootNotFound,$cmdlet"
            $scanErrors[0].TargetObject | Should -Be $doomed
            $run.Status | Should -Be 'Completed'
            $run.Files | Should -Be 1
            $run.Errors | Should -Be 1
            @(Get-ScanError -Database $db -ScanId $run.Id).Kind | Should -Be @('RootNotFound')
        }
    }

    Context 'symbolic links (Linux/macOS)' -Skip:$IsWindows {
        BeforeAll {
            $linkBase = New-TestDirectory -Parent $trees
            $linkRoot = Join-Path $linkBase 'root'
            $linkTarget = Join-Path $linkBase 'target'
            $null = New-TestFile -Path (Join-Path $linkRoot 'own.txt') -Content 'own'
            foreach ($n in 1..3) {
                $null = New-TestFile -Path (Join-Path $linkTarget "t$n.txt") -Content "target $n"
            }
            $link = Join-Path $linkRoot 'linked'
            $null = New-Item -ItemType SymbolicLink -Path $link -Target $linkTarget
        }

        AfterAll {
            # Pester's TestDrive cleanup enumerates recursively and .NET follows folder links: remove them.
            if ($link -and (Test-Path -LiteralPath $link)) {
                [IO.File]::Delete($link)
            }
        }

        It 'enters a folder link with -FollowSymlink and records its files under the link''s path' {
            $db = New-CatalogPath -Directory $catalogs

            $run = Start-Scan -Path $linkRoot -FollowSymlink -Database $db

            $run.Status | Should -Be 'Completed'
            $run.Errors | Should -Be 0
            $run.Files | Should -Be 4
            $viaLink = @(Get-Finding -Database $db -Path $link)
            $viaLink | Should -HaveCount 3
            Join-Sorted $viaLink.Directory | Should -Be (Join-Sorted @($link, $link, $link))
        }

        It 'records a folder link as a link without entering it when -FollowSymlink is not given' {
            $db = New-CatalogPath -Directory $catalogs

            $run = Start-Scan -Path $linkRoot -Database $db

            $run.Files | Should -Be 2
            Get-Finding -Database $db -Path (Join-Path $link '*') | Should -BeNullOrEmpty
            $entry = @(Get-Finding -Database $db -Name 'linked')
            $entry | Should -HaveCount 1
            $entry[0].IsLink | Should -BeTrue
        }

        It 'reports a link loop as SymlinkLoop and still completes with -FollowSymlink' {
            $loopRoot = New-TestDirectory -Parent $trees
            $null = New-TestFile -Path (Join-Path $loopRoot 'a.txt') -Content 'a'
            $loop = Join-Path $loopRoot 'loop'
            $null = New-Item -ItemType SymbolicLink -Path $loop -Target $loopRoot
            $db = New-CatalogPath -Directory $catalogs

            try {
                $run = Start-Scan -Path $loopRoot -FollowSymlink -Database $db -ErrorAction SilentlyContinue -ErrorVariable scanErrors
            }
            finally {
                # A link loop left in TestDrive would make Pester's recursive cleanup fail.
                [IO.File]::Delete($loop)
            }

            $scanErrors | Should -HaveCount 1
            $scanErrors[0].FullyQualifiedErrorId | Should -Be "SymlinkLoop,$cmdlet"
            $scanErrors[0].TargetObject | Should -Be $loop
            $run.Status | Should -Be 'Completed'
            $run.Files | Should -Be 1
        }
    }

    Context 'choosing the catalog' {
        BeforeAll {
            $catalogRoot = Join-Path $trees 'catalog-choice'
            $null = New-TestTree -Path $catalogRoot -Folders 1 -FilesPerFolder 2
            $catalogCount = Get-TestFileCount -LiteralPath $catalogRoot
        }

        It 'resolves a relative -Database against the PowerShell location' {
            $psHere = New-TestDirectory -Parent $catalogs
            $processHere = New-TestDirectory -Parent $catalogs
            $savedProcessDirectory = [Environment]::CurrentDirectory

            Push-Location -LiteralPath $psHere
            try {
                [Environment]::CurrentDirectory = $processHere
                $run = Start-Scan -Path $catalogRoot -Database 'relative.db'
            }
            finally {
                [Environment]::CurrentDirectory = $savedProcessDirectory
                Pop-Location
            }

            $run.Files | Should -Be $catalogCount
            Test-Path -LiteralPath (Join-Path $psHere 'relative.db') | Should -BeTrue
            Test-Path -LiteralPath (Join-Path $processHere 'relative.db') | Should -BeFalse
            @(Get-Finding -Database (Join-Path $psHere 'relative.db')) | Should -HaveCount $catalogCount
        }

        It 'refuses a file that is not a catalog with CatalogNotACatalog and leaves it unchanged' {
            $db = New-CatalogPath -Directory $catalogs
            $text = "this is a shopping list, not a catalog`nmilk`neggs`n"
            [IO.File]::WriteAllText($db, $text)

            { Start-Scan -Path $catalogRoot -Database $db } | Should -Throw -ErrorId "CatalogNotACatalog,$cmdlet"

            [IO.File]::ReadAllText($db) | Should -BeExactly $text
            Test-Path -LiteralPath "$db-wal" | Should -BeFalse
        }

        It 'refuses a catalog whose folder does not exist with CatalogFolderNotFound' {
            $db = Join-Path $catalogs 'no-such-folder' 'catalog.db'

            { Start-Scan -Path $catalogRoot -Database $db } | Should -Throw -ErrorId "CatalogFolderNotFound,$cmdlet"

            Test-Path -LiteralPath (Split-Path -Parent $db) | Should -BeFalse
        }

        It 'with -WhatIf, stops with the error the real <Command> gives for <Case>, and creates nothing' -ForEach @(
            @{ Command = 'Start-Scan'; Case = 'a catalog in a missing folder' }
            @{ Command = 'Start-Scan'; Case = 'a text file as the catalog' }
            @{ Command = 'Write-Finding'; Case = 'a catalog in a missing folder' }
            @{ Command = 'Write-Finding'; Case = 'a text file as the catalog' }
        ) {
            $parent = New-TestDirectory -Parent $catalogs
            $db = if ($Case -like '*missing folder*') {
                Join-Path $parent 'no-such-folder' 'catalog.db'
            }
            else {
                New-TestFile -Path (Join-Path $parent 'notes.db') -Content "milk`neggs`n"
            }
            $toRecord = New-TestFile -Path (Join-Path $TestDrive 'record-me.txt') -Content 'r'
            $run = if ($Command -eq 'Start-Scan') {
                { param([switch] $WhatIf) Start-Scan -Path $catalogRoot -Database $db -WhatIf:$WhatIf }
            }
            else {
                { param([switch] $WhatIf) Write-Finding -InputObject $toRecord -Database $db -WhatIf:$WhatIf }
            }
            $real = try { & $run; $null } catch { $_ }
            $real | Should -Not -BeNullOrEmpty -Because 'the real command fails'
            $before = @(Get-ChildItem -LiteralPath $parent -Recurse -Force | ForEach-Object { "$($_.FullName) $($_.Length)" })

            $whatIfOutput = try { & $run -WhatIf } catch { $predicted = $_ }

            $predicted.FullyQualifiedErrorId | Should -Be $real.FullyQualifiedErrorId
            $predicted.Exception.Message | Should -Be $real.Exception.Message
            [ScanTools.Hosting.ScanExitCodes]::ForException($predicted.Exception) | Should -Be 6
            $whatIfOutput | Should -BeNullOrEmpty
            @(Get-ChildItem -LiteralPath $parent -Recurse -Force | ForEach-Object { "$($_.FullName) $($_.Length)" }) | Should -Be $before
        }

        It 'says with -WhatIf what it would do for a catalog it can write, and creates nothing' {
            $parent = New-TestDirectory -Parent $catalogs
            $db = Join-Path $parent 'new.db'

            $null = Start-Scan -Path $catalogRoot -Database $db -WhatIf

            @(Get-ChildItem -LiteralPath $parent -Force) | Should -BeNullOrEmpty
        }

        It 'creates the per-user catalog''s folder for its owner alone (0700: it lists where secrets are; newcomer test 74)' -Skip:$IsWindows {
            $data = Join-Path (New-TestDirectory -Parent $trees) 'data'
            $result = Invoke-TestPwsh -Script @'
param($ModulePath, $Data, $Folder)
$env:XDG_DATA_HOME = $Data
Remove-Item Env:SCANTOOLS_DATABASE -ErrorAction SilentlyContinue
Import-Module $ModulePath
$run = Start-Scan -Path $Folder -MaxDepth 0
"DB=$($run.Database)"
'@ -ArgumentList $modulePath, $data, $catalogRoot
            $result.ExitCode | Should -Be 0 -Because ($result.Output -join "`n")
            $folder = Join-Path $data 'ScanTools'
            ($result.Output | Where-Object { $_ -like 'DB=*' }) | Should -Be "DB=$(Join-Path $folder 'catalog.db')"
            (Get-Item -LiteralPath $folder).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
        }

        It 'stops with <Id> and exit code 6, saying to pass -Database, when the per-user catalog''s folder cannot be created (<Case>, -WhatIf <WhatIf>)' -Skip:$IsWindows -ForEach @(
            @{ Case = 'HOME below a file'; Id = 'CatalogFolderNotFound'; WhatIf = $false }
            @{ Case = 'HOME below a file'; Id = 'CatalogFolderNotFound'; WhatIf = $true }
            @{ Case = 'HOME on a read-only file system'; Id = 'CatalogReadOnly'; WhatIf = $false }
            @{ Case = 'HOME on a read-only file system'; Id = 'CatalogReadOnly'; WhatIf = $true }
        ) {
            $base = New-TestDirectory -Parent $trees
            if ($Case -like '*read-only*') {
                if (-not ($IsLinux -and (Test-IsRoot))) {
                    Set-ItResult -Skipped -Because 'a read-only bind mount needs root on Linux'
                    return
                }
                $readOnly = New-TestDirectory -Parent $base -Name 'ro'
                mount --bind $readOnly $readOnly
                if ($LASTEXITCODE -ne 0) {
                    Set-ItResult -Skipped -Because 'this process may not mount'
                    return
                }
                mount -o remount,bind,ro $readOnly
                $userHome = Join-Path $readOnly 'nonexistent'
            }
            else {
                $userHome = Join-Path (New-TestFile -Path (Join-Path $base 'a-file') -Content 'f') 'home'
            }
            try {
                $result = Invoke-TestPwsh -Script @'
param($ModulePath, $UserHome, $Folder, $WhatIf)
trap { "ERRORID=$($_.FullyQualifiedErrorId)"; "MESSAGE=$($_.Exception.Message)"; exit [ScanTools.Hosting.ScanExitCodes]::ForException($_.Exception) }
$env:HOME = $UserHome
Remove-Item Env:XDG_DATA_HOME, Env:SCANTOOLS_DATABASE -ErrorAction SilentlyContinue
Import-Module $ModulePath
$null = Start-Scan -Path $Folder -MaxDepth 0 -WhatIf:($WhatIf -eq 'True')
'DONE'
'@ -ArgumentList $modulePath, $userHome, $catalogRoot, $WhatIf
            }
            finally {
                if ($Case -like '*read-only*') { umount $readOnly }
            }

            $result.ExitCode | Should -Be 6 -Because ($result.Output -join "`n")
            $result.Output | Should -Contain "ERRORID=$Id,$cmdlet"
            ($result.Output | Where-Object { $_ -like 'MESSAGE=*' }) | Should -BeLike '*Pass -Database*'
            Test-Path -LiteralPath $userHome | Should -BeFalse
        }

        It 'refuses a catalog in a read-only folder with CatalogReadOnly (Linux/macOS)' -Skip:$IsWindows {
            if (Test-IsRoot) {
                Set-ItResult -Skipped -Because 'running as root: folder permissions do not stop root from writing'
                return
            }
            $readOnly = [IO.DirectoryInfo]::new((New-TestDirectory -Parent $catalogs))
            $savedMode = $readOnly.UnixFileMode
            $db = Join-Path $readOnly.FullName 'catalog.db'

            $readOnly.UnixFileMode = [IO.UnixFileMode]'UserRead, UserExecute, GroupRead, GroupExecute, OtherRead, OtherExecute'
            try {
                { Start-Scan -Path $catalogRoot -Database $db } | Should -Throw -ErrorId "CatalogReadOnly,$cmdlet"
            }
            finally {
                $readOnly.UnixFileMode = $savedMode
            }
            Test-Path -LiteralPath $db | Should -BeFalse
        }
    }

    Context 'the default catalog from $env:SCANTOOLS_DATABASE' {
        BeforeAll {
            $envRoot = Join-Path $trees 'env-default'
            $null = New-TestTree -Path $envRoot -Folders 1 -FilesPerFolder 2
            $envCount = Get-TestFileCount -LiteralPath $envRoot
        }

        BeforeEach {
            $savedEnvironment = $env:SCANTOOLS_DATABASE
            $envDb = New-CatalogPath -Directory $catalogs
            $env:SCANTOOLS_DATABASE = $envDb
        }

        AfterEach {
            if ($null -eq $savedEnvironment) {
                Remove-Item -Path Env:SCANTOOLS_DATABASE -ErrorAction SilentlyContinue
            }
            else {
                $env:SCANTOOLS_DATABASE = $savedEnvironment
            }
        }

        It 'writes to $env:SCANTOOLS_DATABASE when -Database is not given' {
            $run = Start-Scan -Path $envRoot

            $run.Files | Should -Be $envCount
            Test-Path -LiteralPath $envDb | Should -BeTrue
            @(Get-Finding) | Should -HaveCount $envCount
            @(Get-Finding -Database $envDb) | Should -HaveCount $envCount
            (Get-ScanRun -Last 1).Id | Should -Be $run.Id
        }

        It 'prefers -Database over $env:SCANTOOLS_DATABASE' {
            $explicit = New-CatalogPath -Directory $catalogs

            $null = Start-Scan -Path $envRoot -Database $explicit

            Test-Path -LiteralPath $explicit | Should -BeTrue
            Test-Path -LiteralPath $envDb | Should -BeFalse
        }
    }

    Context 'scanning again' {
        It 'marks a deleted file removed on rescan and records a new one' {
            $base = New-TestDirectory -Parent $trees
            $keep = New-TestFile -Path (Join-Path $base 'keep.txt') -Content 'keep'
            $gone = New-TestFile -Path (Join-Path $base 'sub' 'gone.txt') -Content 'gone'
            $null = New-TestFile -Path (Join-Path $base 'sub' 'stays.txt') -Content 'stays'
            $db = New-CatalogPath -Directory $catalogs
            $first = Start-Scan -Path $base -Database $db
            $first.Files | Should -Be 3

            Remove-Item -LiteralPath $gone
            $new = New-TestFile -Path (Join-Path $base 'new.txt') -Content 'new'
            $second = Start-Scan -Path $base -Database $db

            $second.Files | Should -Be 3
            $second.Removed | Should -Be 1
            $removed = @(Get-Finding -Database $db -Removed)
            $removed | Should -HaveCount 1
            $removed[0].FullName | Should -Be $gone
            $removed[0].Removed | Should -BeTrue
            $removed[0].RemovedScanId | Should -Be $second.Id
            Join-Sorted (Get-Finding -Database $db).FullName | Should -Be (Join-Sorted (Get-ChildItem -LiteralPath $base -Recurse -File -Force).FullName)
            (Get-Finding -Database $db -Path $new).FirstScanId | Should -Be $second.Id
            (Get-Finding -Database $db -Path $keep).FirstScanId | Should -Be $first.Id
        }
    }

    Context 'signals to the PowerShell process that scans (Linux/macOS)' -Skip:$IsWindows {
        BeforeAll {
            # A scan that lasts: many small files and one large sparse file to hash (tens of seconds).
            $slowTree = Join-Path $trees 'slow'
            $null = New-TestTree -Path $slowTree -Folders 20 -FilesPerFolder 20
            $big = [IO.File]::Create((Join-Path $slowTree 'd1/huge-sparse.bin'))
            $big.SetLength(64GB)
            $big.Dispose()
            $scanScript = {
                param($modulePath, $tree, $db, $pidFile, $schedule)
                if ($schedule) { $env:SCANTOOLS_SCHEDULE = $schedule } # as a scheduled scan's script sets it
                Import-Module $modulePath
                # Written, then renamed into place: a reader that saw the file empty took PID 0, and 'kill -TERM 0' ended
                # every process of the group, the whole CI run with it.
                [IO.File]::WriteAllText("$pidFile.tmp", [string]$PID); [IO.File]::Move("$pidFile.tmp", $pidFile, $true)
                $run = Start-Scan -Path $tree -Database $db -Hash
                "SCRIPT-CONTINUED $($run.Status)"
            }.ToString()

            function Start-SlowScan([string] $Database, [string] $Schedule = '') {
                $pidFile = Join-Path $TestDrive ("pid-" + [guid]::NewGuid().ToString('N'))
                $out = Join-Path $TestDrive ("out-" + [guid]::NewGuid().ToString('N') + '.txt')
                $launcher = Start-TestPwsh -Script "& { $scanScript } @args" -OutputPath $out -ArgumentList $modulePath, $slowTree, $Database, $pidFile, $Schedule
                # The process that runs PowerShell reports itself; signalling the launcher would prove nothing.
                $powershellPid = [int](Wait-TestSignal -Path $pidFile -TimeoutSeconds 120)
                $powershellPid | Should -BeGreaterThan 1 -Because 'a signal to PID 0 or 1 reaches the whole process group, or init'

                # Wait until the run is visibly under way: its counts are kept current in the catalog.
                $deadline = [datetime]::UtcNow.AddSeconds(120)
                do {
                    $running = try { Get-ScanRun -Database $Database | Where-Object { $_.Status -eq 'Running' -and $_.Files -gt 0 } } catch { $null } # not created yet
                    if (-not $running) { Start-Sleep -Milliseconds 100 }
                } until ($running -or [datetime]::UtcNow -gt $deadline)
                $running | Should -Not -BeNullOrEmpty -Because 'the scan must be running with counts before it is signalled'
                [pscustomobject]@{ Launcher = $launcher; PowerShellPid = $powershellPid; Output = $out; RunningFiles = $running.Files }
            }
        }

        It 'shows a running run''s counts in Get-ScanRun while it runs, then ends it Cancelled with its true counts on SIGTERM, and exits 143' {
            $db = New-CatalogPath -Directory $catalogs
            $scan = Start-SlowScan -Database $db
            $scan.PowerShellPid | Should -Not -Be $scan.Launcher.Id -Because 'under the global tool, pwsh is a launcher of the process that runs PowerShell'

            & kill -TERM $scan.PowerShellPid
            $scan.Launcher.WaitForExit(60000) | Should -BeTrue

            $scan.Launcher.ExitCode | Should -Be 143
            $run = Get-ScanRun -Database $db -Last 1
            $run.Status | Should -Be 'Cancelled'
            $run.Message | Should -Match 'SIGTERM'
            $run.Files | Should -BeGreaterOrEqual $scan.RunningFiles
            $run.Files | Should -Be @(Get-Finding -Database $db).Count
            $run.ExitCode | Should -Be 'Cancelled'
            # Under cron the process's output is all a signal leaves besides the catalog: one line says what was kept.
            $text = Get-Content -Raw -LiteralPath $scan.Output
            $text | Should -Match ("Scan $($run.Id) stopped after \d+:\d\d:\d\d(\.\d)?: kept " + [regex]::Escape([string]::Format([cultureinfo]::InvariantCulture, '{0:N0}', $run.Files)) + ' files.*Stopped by SIGTERM')
            [regex]::Matches($text, "Scan $($run.Id) stopped after").Count | Should -Be 1 -Because 'the signal''s line is not repeated as a warning'
        }

        It 'writes the stopped line of a scheduled scan with the time and the schedule''s name, as the schedule''s log lines (newcomer test 75)' {
            $db = New-CatalogPath -Directory $catalogs
            $scan = Start-SlowScan -Database $db -Schedule 'nightly-srv'

            & kill -TERM $scan.PowerShellPid
            $scan.Launcher.WaitForExit(60000) | Should -BeTrue

            $scan.Launcher.ExitCode | Should -Be 143
            $run = Get-ScanRun -Database $db -Last 1
            $text = Get-Content -Raw -LiteralPath $scan.Output
            $text | Should -Match ("(?m)^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d nightly-srv: Scan $($run.Id) stopped after ")
        }

        It 'ends the run on record once when SIGTERM comes twice (timeout(1) signals the child and its process group), with one line' {
            $db = New-CatalogPath -Directory $catalogs
            $scan = Start-SlowScan -Database $db

            & kill -TERM $scan.PowerShellPid
            & kill -TERM $scan.PowerShellPid
            $scan.Launcher.WaitForExit(60000) | Should -BeTrue

            $scan.Launcher.ExitCode | Should -Be 143
            $run = Get-ScanRun -Database $db -Last 1
            $run.Status | Should -Be 'Cancelled'
            $run.Files | Should -Be @(Get-Finding -Database $db).Count
            $text = Get-Content -Raw -LiteralPath $scan.Output
            [regex]::Matches($text, "Scan $($run.Id) stopped after").Count | Should -Be 1
        }

        It 'ends the run Cancelled on SIGINT (Ctrl+C) and says in one line what it kept' {
            $db = New-CatalogPath -Directory $catalogs
            $scan = Start-SlowScan -Database $db

            & kill -INT $scan.PowerShellPid
            $exited = $scan.Launcher.WaitForExit(60000)
            if (-not $exited) {
                # Seen twice in full runs, never alone: say what the process printed, and do not leave it running.
                $printed = @(Get-Content -LiteralPath $scan.Output -Tail 20 -ErrorAction SilentlyContinue) -join ' | '
                $state = (Get-Content -LiteralPath "/proc/$($scan.PowerShellPid)/status" -ErrorAction SilentlyContinue | Select-String '^State:') -join ''
                & kill -KILL $scan.PowerShellPid
            }
            $exited | Should -BeTrue -Because "pwsh should exit within 60 s of SIGINT ($state); it printed: $printed"

            $run = Get-ScanRun -Database $db -Last 1
            $run.Status | Should -Be 'Cancelled'
            $run.Files | Should -Be @(Get-Finding -Database $db).Count
            $text = Get-Content -Raw -LiteralPath $scan.Output
            $text | Should -Match ("Scan $($run.Id) stopped after \d+:\d\d:\d\d(\.\d)?: kept " + [regex]::Escape([string]::Format([cultureinfo]::InvariantCulture, '{0:N0}', $run.Files)) + ' files')
            $text | Should -Not -Match 'SCRIPT-CONTINUED' -Because 'Ctrl+C stops the script, not just the scan'
        }
    }

    Context 'end to end: 8 runspaces scanning into one catalog at once' {
        BeforeAll {
            $parallelRoot = Join-Path $trees 'parallel'
            $folders = foreach ($n in 1..8) {
                $folder = Join-Path $parallelRoot "p$n"
                $null = New-TestTree -Path $folder -Folders 4 -FilesPerFolder 40
                $folder
            }
            $total = Get-TestFileCount -LiteralPath $parallelRoot
        }

        BeforeEach {
            $lease = $null
        }

        AfterEach {
            if ($null -ne $lease) {
                $lease.Dispose()
            }
        }

        It 'records the exact total with no errors, every run Completed, through exactly one session' {
            $db = New-CatalogPath -Directory $catalogs
            # Sessions close when their last user finishes; hold this one open so it can be inspected afterwards.
            $lease = [ScanTools.Sessions.WriterSessionRegistry]::Shared.Acquire($db, $null, $null)

            $results = @($folders | ForEach-Object -ThrottleLimit 8 -Parallel {
                    Import-Module $using:modulePath
                    $scanErrors = $null
                    $run = Start-Scan -LiteralPath $_ -Database $using:db -ErrorVariable scanErrors -ErrorAction SilentlyContinue
                    [pscustomobject]@{
                        Folder   = $_
                        Run      = $run
                        Errors   = @($scanErrors).Count
                        # Seen from inside a runspace while the others may still be scanning.
                        Sessions = @(Get-ScanSession -Database $using:db).Count
                    }
                })

            $results | Should -HaveCount 8
            foreach ($r in $results) {
                $r.Errors | Should -Be 0 -Because "scanning $($r.Folder)"
                $r.Run | Should -BeOfType ScanTools.Storage.ScanRun
                $r.Run.Status | Should -Be 'Completed' -Because "scanning $($r.Folder)"
                $r.Run.Files | Should -Be (Get-TestFileCount -LiteralPath $r.Folder) -Because "scanning $($r.Folder)"
                $r.Sessions | Should -Be 1 -Because 'every runspace shares the process''s one session for the catalog'
            }
            ($results.Run.Files | Measure-Object -Sum).Sum | Should -Be $total
            @(Get-Finding -Database $db) | Should -HaveCount $total
            $runs = @(Get-ScanRun -Database $db)
            $runs | Should -HaveCount 8
            @($runs | Where-Object { $_.Status -ne 'Completed' }) | Should -BeNullOrEmpty
            @($runs | Where-Object { $_.Errors -ne 0 }) | Should -BeNullOrEmpty

            $sessions = @(Get-ScanSession -Database $db)
            $sessions | Should -HaveCount 1
            $sessions[0].CommittedRows | Should -BeGreaterOrEqual $total
            $sessions[0].FailedRows | Should -Be 0
            $sessions[0].IsFaulted | Should -BeFalse
        }
    }

    Context 'end to end: 4 Start-Job jobs (4 processes) scanning into one catalog at once' {
        BeforeAll {
            $jobRoot = Join-Path $trees 'jobs'
            $jobFolders = foreach ($n in 1..4) {
                $folder = Join-Path $jobRoot "j$n"
                $null = New-TestTree -Path $folder -Folders 6 -FilesPerFolder 60
                $folder
            }
            $jobTotal = Get-TestFileCount -LiteralPath $jobRoot
            $helpers = Join-Path $PSScriptRoot 'TestHelpers.psm1'
        }

        It 'records the exact total with no errors, one run per process, nothing locked' {
            $db = New-CatalogPath -Directory $catalogs
            $signals = New-TestDirectory -Parent $TestDrive
            $go = Join-Path $signals 'go'

            # Each job (its own pwsh process) imports the module, says it is ready, and waits for the
            # common start signal so the four scans overlap instead of running one after the other.
            $jobs = for ($i = 0; $i -lt 4; $i++) {
                Start-Job -ArgumentList $modulePath, $helpers, $jobFolders[$i], $db, (Join-Path $signals "ready$i"), $go -ScriptBlock {
                    param($module, $helpers, $folder, $db, $ready, $go)
                    Import-Module $module
                    Import-Module $helpers
                    Send-TestSignal -Path $ready -Text $PID
                    $null = Wait-TestSignal -Path $go -TimeoutSeconds 120
                    $scanErrors = $null
                    $run = Start-Scan -LiteralPath $folder -Database $db -ErrorVariable scanErrors -ErrorAction SilentlyContinue
                    [pscustomobject]@{
                        Folder    = $folder
                        ProcessId = $PID
                        Status    = [string]$run.Status
                        Files     = $run.Files
                        RunErrors = $run.Errors
                        Errors    = @($scanErrors | ForEach-Object { [string]$_ })
                    }
                }
            }
            try {
                for ($i = 0; $i -lt 4; $i++) {
                    $null = Wait-TestSignal -Path (Join-Path $signals "ready$i") -Job $jobs[$i] -TimeoutSeconds 120
                }
                Send-TestSignal -Path $go
                $null = $jobs | Wait-Job -Timeout 600
                $results = @($jobs | Receive-Job -ErrorVariable jobErrors -ErrorAction SilentlyContinue)
                $states = @($jobs | ForEach-Object { [string]$_.State })
            }
            finally {
                $jobs | Remove-Job -Force
            }

            $states | Should -Be @('Completed', 'Completed', 'Completed', 'Completed')
            @($jobErrors) | Should -BeNullOrEmpty
            $results | Should -HaveCount 4
            foreach ($r in $results) {
                $r.Errors | Should -BeNullOrEmpty -Because "scanning $($r.Folder)"
                $r.Status | Should -Be 'Completed' -Because "scanning $($r.Folder)"
                $r.RunErrors | Should -Be 0 -Because "scanning $($r.Folder)"
                $r.Files | Should -Be (Get-TestFileCount -LiteralPath $r.Folder) -Because "scanning $($r.Folder)"
            }
            @($results.ProcessId | Select-Object -Unique) | Should -HaveCount 4
            $results.ProcessId | Should -Not -Contain $PID

            @(Get-Finding -Database $db) | Should -HaveCount $jobTotal
            $runs = @(Get-ScanRun -Database $db)
            $runs | Should -HaveCount 4
            @($runs | Where-Object { $_.Status -ne 'Completed' }) | Should -BeNullOrEmpty
            Join-Sorted ($runs | ForEach-Object { [string]$_.ProcessId }) | Should -Be (Join-Sorted ($results | ForEach-Object { [string]$_.ProcessId }))
            Get-ScanError -Database $db | Should -BeNullOrEmpty
        }
    }
}
