# Write-Finding: recording files other commands found, through the catalog's shared writer session.
# Error ids are compared as full FullyQualifiedErrorIds ("<id>,<cmdlet class>"): Pester 5's -ErrorId
# matches with -like against the whole FullyQualifiedErrorId.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $modulePath = Get-ScanToolsTestModulePath
    Import-Module $modulePath -Force

    $catalogs = Join-Path $TestDrive 'catalogs'
    $trees = Join-Path $TestDrive 'trees'
    $null = New-Item -ItemType Directory -Path $catalogs, $trees -Force
    $cmdlet = 'ScanTools.Commands.WriteFindingCommand'

    # Files shared by the tests that only read them.
    $source = Join-Path $trees 'source'
    $null = New-TestTree -Path $source -Folders 2 -FilesPerFolder 3
    $topFiles = @(Get-ChildItem -LiteralPath $source -File -Force)
    $someFile = (Join-Path $source 'top.txt')
}

Describe 'Write-Finding' {

    Context 'input objects' {
        It 'records files piped from Get-ChildItem -File' {
            $db = New-CatalogPath -Directory $catalogs

            $output = Get-ChildItem -LiteralPath $source -File -Force | Write-Finding -Database $db

            $output | Should -BeNullOrEmpty
            $findings = @(Get-Finding -Database $db)
            $findings | Should -HaveCount $topFiles.Count
            Join-Sorted $findings.FullName | Should -Be (Join-Sorted $topFiles.FullName)
        }

        It 'records what Get-ChildItem -File -Recurse finds, hidden files included' {
            $db = New-CatalogPath -Directory $catalogs
            $all = @(Get-ChildItem -LiteralPath $source -Recurse -File -Force)

            $all | Write-Finding -Database $db

            Join-Sorted @(Get-Finding -Database $db).FullName | Should -Be (Join-Sorted $all.FullName)
        }

        It 'records the file''s size and last write time' {
            $db = New-CatalogPath -Directory $catalogs
            $item = Get-Item -LiteralPath $someFile -Force

            $item | Write-Finding -Database $db

            $finding = @(Get-Finding -Database $db)[0]
            $finding.FullName | Should -Be $item.FullName
            $finding.Length | Should -Be $item.Length
            $finding.LastWriteTimeUtc | Should -Be $item.LastWriteTimeUtc
        }

        It 'records a path given as a string, by position' {
            $db = New-CatalogPath -Directory $catalogs

            Write-Finding $someFile -Database $db

            @(Get-Finding -Database $db).FullName | Should -Be @($someFile)
        }

        It 'records path strings from the pipeline' {
            $db = New-CatalogPath -Directory $catalogs

            $topFiles.FullName | Write-Finding -Database $db

            @(Get-Finding -Database $db) | Should -HaveCount $topFiles.Count
        }

        It 'says once, without -Database, that findings piped from a catalog go into another one (newcomer test 76)' {
            $from = New-CatalogPath -Directory $catalogs
            $null = Start-Scan -Path $source -Database $from
            $into = New-CatalogPath -Directory $catalogs
            $env:SCANTOOLS_DATABASE = $into
            try {
                Get-Finding -Database $from | Write-Finding -WarningVariable w -WarningAction SilentlyContinue
                @(Get-Finding -Database $from | Write-Finding -Database $into -WarningVariable given -WarningAction SilentlyContinue) | Should -BeNullOrEmpty
            }
            finally { Remove-Item Env:SCANTOOLS_DATABASE }
            @($w) | Should -HaveCount 1
            "$w" | Should -BeLike "*come from the catalog '$from'*records them into '$into'*no -Database*"
            $given | Should -BeNullOrEmpty -Because '-Database says where'
            @(Get-Finding -Database $into).Count | Should -Be @(Get-Finding -Database $from).Count
        }

        It 'resolves a relative path against the PowerShell location' {
            $db = New-CatalogPath -Directory $catalogs
            Push-Location -LiteralPath $source
            try {
                './top.txt' | Write-Finding -Database $db
            }
            finally {
                Pop-Location
            }

            @(Get-Finding -Database $db).FullName | Should -Be @($someFile)
        }

        It 'records any object with a FullName property' {
            $db = New-CatalogPath -Directory $catalogs

            [pscustomobject]@{ FullName = $someFile; Note = 'from a CSV, say' } | Write-Finding -Database $db

            @(Get-Finding -Database $db).FullName | Should -Be @($someFile)
        }

        It 'refuses the catalog it writes and its side files as OwnCatalogFile, counting and returning nothing for them' {
            $db = New-CatalogPath -Directory $catalogs
            $null = $someFile | Write-Finding -Database $db

            $out = @($db, "$db-wal", $someFile | Write-Finding -Database $db -PassThru -ErrorVariable own -ErrorAction SilentlyContinue)

            @($out | Where-Object { $_ -is [ScanTools.Scanning.FileRecord] }).FullName | Should -Be @($someFile) -Because '-PassThru returned the catalog it never stored'
            @($own | Where-Object FullyQualifiedErrorId -Like 'OwnCatalogFile,*').Count | Should -BeGreaterOrEqual 1
            "$($own[0])" | Should -BeLike '*never records its own catalog*'
            (Get-ScanRun -Database $db -Last 1).Files | Should -Be 1 -Because 'the run counted a file it did not store'
            @(Get-Finding -Database $db).FullName | Should -Be @($someFile)
            $runs = @(Get-ScanRun -Database $db).Count
            Get-Item -LiteralPath $db | Write-Finding -Database $db -ErrorAction SilentlyContinue
            @(Get-ScanRun -Database $db).Count | Should -Be $runs -Because 'the catalog alone made an empty run'
        }

        It 'copies findings from another catalog as recorded, even for files gone from disk' {
            $copyRoot = New-TestDirectory -Parent $trees
            $null = New-TestTree -Path $copyRoot -Folders 1 -FilesPerFolder 3
            $sourceDb = New-CatalogPath -Directory $catalogs
            $targetDb = New-CatalogPath -Directory $catalogs
            $null = Start-Scan -Path $copyRoot -Hash -Database $sourceDb
            $original = @(Get-Finding -Database $sourceDb)
            Remove-Item -LiteralPath (Join-Path $copyRoot 'top.txt')

            Get-Finding -Database $sourceDb | Write-Finding -Database $targetDb -ErrorVariable writeErrors

            $writeErrors | Should -BeNullOrEmpty
            $copied = @(Get-Finding -Database $targetDb)
            $copied | Should -HaveCount $original.Count
            foreach ($o in $original) {
                $c = @($copied | Where-Object FullName -EQ $o.FullName)
                $c | Should -HaveCount 1 -Because $o.FullName
                $c[0].Length | Should -Be $o.Length -Because $o.FullName
                $c[0].LastWriteTimeUtc | Should -Be $o.LastWriteTimeUtc -Because $o.FullName
                $c[0].Sha256 | Should -Be $o.Sha256 -Because $o.FullName
                $c[0].Attributes | Should -Be $o.Attributes -Because $o.FullName
            }
        }

        It 'records the FileRecords Start-Scan -PassThru emits' {
            $sourceDb = New-CatalogPath -Directory $catalogs
            $targetDb = New-CatalogPath -Directory $catalogs

            Start-Scan -Path $source -PassThru -Database $sourceDb |
                Where-Object { $_ -is [ScanTools.Scanning.FileRecord] } |
                Write-Finding -Database $targetDb

            Join-Sorted @(Get-Finding -Database $targetDb).FullName |
                Should -Be (Join-Sorted @(Get-ChildItem -LiteralPath $source -Recurse -File -Force).FullName)
        }

        It 'records every file given to -InputObject as an array' {
            $db = New-CatalogPath -Directory $catalogs

            Write-Finding -InputObject (Get-ChildItem -LiteralPath $source -File -Force) -Database $db

            Join-Sorted @(Get-Finding -Database $db).FullName | Should -Be (Join-Sorted $topFiles.FullName)
            $runs = @(Get-ScanRun -Database $db)
            $runs | Should -HaveCount 1
            $runs[0].Files | Should -Be $topFiles.Count
        }

        It 'skips the scan run Start-Scan -PassThru emits after its records, silently but for a verbose message' {
            $sourceDb = New-CatalogPath -Directory $catalogs
            $targetDb = New-CatalogPath -Directory $catalogs

            $verbose = Start-Scan -Path $source -PassThru -Database $sourceDb |
                Write-Finding -Database $targetDb -ErrorVariable writeErrors -Verbose 4>&1

            $writeErrors | Should -BeNullOrEmpty
            Join-Sorted @(Get-Finding -Database $targetDb).FullName |
                Should -Be (Join-Sorted @(Get-ChildItem -LiteralPath $source -Recurse -File -Force).FullName)
            $messages = @($verbose | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object { $_.Message })
            @($messages | Where-Object { $_ -like '*scan run*' }) | Should -HaveCount 1
            $run = Get-ScanRun -Database $targetDb -Last 1
            $run.Errors | Should -Be 0
            Get-ScanError -Database $targetDb | Should -BeNullOrEmpty
        }

        It 'records a file written twice once, as Get-Item objects too, and counts it once' {
            $db = New-CatalogPath -Directory $catalogs
            $f = Get-Item -LiteralPath $someFile

            $someFile, $someFile | Write-Finding -Database $db
            $f, $f | Write-Finding -Database $db -ErrorVariable writeErrors
            Write-Finding -InputObject $someFile -Database $db

            $writeErrors | Should -BeNullOrEmpty
            @(Get-Finding -Database $db) | Should -HaveCount 1
            @(Get-ScanRun -Database $db).Files | Should -Be @(1, 1, 1)
            @(Get-ScanRun -Database $db).Status | Should -Be @('Completed', 'Completed', 'Completed')
        }

        It 'reports records the catalog refuses as WriteRejected errors, records the rest, and leaves the catalog writable for everyone' {
            $folder = New-TestDirectory -Parent $trees
            $good = New-TestFile -Path (Join-Path $folder 'good.txt') -Content 'good'
            $poison = New-TestFile -Path (Join-Path $folder 'poison.txt') -Content 'refused'
            $other = New-TestFile -Path (Join-Path (New-TestDirectory -Parent $trees) 'other.txt') -Content 'other'
            $db = New-CatalogPath -Directory $catalogs
            $null = Start-Scan -Path $folder -Database $db -Exclude 'poison.txt'
            # A real refusal by SQLite: a trigger that aborts the insert of one name.
            $null = Invoke-TestSql -Database $db -Sql "CREATE TRIGGER refuse_poison BEFORE INSERT ON files WHEN NEW.name = 'poison.txt' BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END;"

            $poison, $other | Write-Finding -Database $db -ErrorAction SilentlyContinue -ErrorVariable writeErrors

            $writeErrors | Should -HaveCount 1
            $writeErrors[0].FullyQualifiedErrorId | Should -Be "WriteRejected,$cmdlet"
            $writeErrors[0].TargetObject | Should -Be $poison
            $run = Get-ScanRun -Database $db -Last 1
            $run.Status | Should -Be 'Completed'
            $run.Files | Should -Be 1
            $run.Errors | Should -Be 1
            (Get-ScanError -Database $db -ScanId $run.Id).Kind | Should -Be 'WriteRejected'
            Join-Sorted @(Get-Finding -Database $db).FullName | Should -Be (Join-Sorted $good, $other)
            # The session was not faulted: the next writer of this catalog works.
            (Start-Scan -Path (Split-Path $other) -Database $db).Status | Should -Be 'Completed'
        }

        It 'never marks other files of a folder removed' {
            $folder = New-TestDirectory -Parent $trees
            $a = New-TestFile -Path (Join-Path $folder 'a.txt') -Content 'a'
            $b = New-TestFile -Path (Join-Path $folder 'b.txt') -Content 'b'
            $db = New-CatalogPath -Directory $catalogs
            $null = Start-Scan -Path $folder -Database $db
            Remove-Item -LiteralPath $b

            $a | Write-Finding -Database $db

            Get-Finding -Database $db -Removed | Should -BeNullOrEmpty
            @(Get-Finding -Database $db) | Should -HaveCount 2
        }
    }

    Context 'parameters' {
        It 'records the SHA-256 of files read from disk with -Hash' {
            $db = New-CatalogPath -Directory $catalogs

            $topFiles | Write-Finding -Hash -Database $db

            foreach ($f in $topFiles) {
                $finding = @(Get-Finding -Database $db -Path $f.FullName)
                $finding | Should -HaveCount 1 -Because $f.FullName
                $finding[0].Sha256 | Should -Be (Get-FileHash -LiteralPath $f.FullName -Algorithm SHA256).Hash -Because $f.FullName
            }
        }

        It 'records no digest without -Hash' {
            $db = New-CatalogPath -Directory $catalogs

            $topFiles | Write-Finding -Database $db

            @(Get-Finding -Database $db | Where-Object { $null -ne $_.Sha256 }) | Should -BeNullOrEmpty
        }

        It 'emits a ScanTools.Scanning.FileRecord per recorded file with -PassThru' {
            $db = New-CatalogPath -Directory $catalogs

            $output = @($topFiles | Write-Finding -PassThru -Database $db)

            $output | Should -HaveCount $topFiles.Count
            @($output | Where-Object { $_ -isnot [ScanTools.Scanning.FileRecord] }) | Should -BeNullOrEmpty
            Join-Sorted $output.FullName | Should -Be (Join-Sorted $topFiles.FullName)
        }

        It 'records with -Durability Full' {
            $db = New-CatalogPath -Directory $catalogs

            $topFiles | Write-Finding -Durability Full -Database $db

            @(Get-Finding -Database $db) | Should -HaveCount $topFiles.Count
        }

        It 'records nothing and creates no catalog with -WhatIf' {
            $db = New-CatalogPath -Directory $catalogs

            $output = $topFiles | Write-Finding -Database $db -PassThru -WhatIf

            $output | Should -BeNullOrEmpty
            Test-Path -LiteralPath $db | Should -BeFalse
        }

        It 'resolves a relative -Database against the PowerShell location' {
            $where = New-TestDirectory -Parent $catalogs
            Push-Location -LiteralPath $where
            try {
                $topFiles | Write-Finding -Database 'relative.db'
            }
            finally {
                Pop-Location
            }

            @(Get-Finding -Database (Join-Path $where 'relative.db')) | Should -HaveCount $topFiles.Count
        }
    }

    Context 'runs' {
        It 'records one run of kind Records per invocation' {
            $db = New-CatalogPath -Directory $catalogs

            $topFiles | Write-Finding -Database $db
            $someFile | Write-Finding -Database $db

            $runs = @(Get-ScanRun -Database $db)
            $runs | Should -HaveCount 2
            $runs[0].Kind | Should -Be 'Records'
            $runs[0].Status | Should -Be 'Completed'
            $runs[0].Files | Should -Be 1
            $runs[1].Kind | Should -Be 'Records'
            $runs[1].Status | Should -Be 'Completed'
            $runs[1].Files | Should -Be $topFiles.Count
            $runs[1].Bytes | Should -Be ([long]($topFiles | Measure-Object -Property Length -Sum).Sum)
            $runs[1].Errors | Should -Be 0
            $runs[1].Roots | Should -BeNullOrEmpty
        }

        It 'records no run and creates no catalog when the pipeline is empty' {
            $db = New-CatalogPath -Directory $catalogs

            @() | Write-Finding -Database $db

            Test-Path -LiteralPath $db | Should -BeFalse
        }

        It 'adds no run to an existing catalog when the pipeline is empty' {
            $db = New-CatalogPath -Directory $catalogs
            $someFile | Write-Finding -Database $db
            $before = @(Get-ScanRun -Database $db)
            $before | Should -HaveCount 1

            @() | Write-Finding -Database $db
            Get-ChildItem -LiteralPath $source -Filter 'no-such-*' | Write-Finding -Database $db

            $after = @(Get-ScanRun -Database $db)
            $after | Should -HaveCount 1
            $after[0].Id | Should -Be $before[0].Id
        }

        It 'ends the run Cancelled and keeps what it recorded when the pipeline stops early' {
            $db = New-CatalogPath -Directory $catalogs
            $topFiles.Count | Should -BeGreaterThan 1

            $first = @($topFiles | Write-Finding -PassThru -Database $db | Select-Object -First 1)

            $first | Should -HaveCount 1
            $runs = @(Get-ScanRun -Database $db)
            $runs | Should -HaveCount 1
            $runs[0].Kind | Should -Be 'Records'
            $runs[0].Status | Should -Be 'Cancelled'
            $runs[0].Message | Should -BeLike 'Stopped before the input ended*'
            $runs[0].Files | Should -Be 1
            @(Get-Finding -Database $db).FullName | Should -Be @($first[0].FullName)
        }

        It 'leaves no writer session open when it ends' {
            $db = New-CatalogPath -Directory $catalogs

            $topFiles | Write-Finding -Database $db

            Get-ScanSession -Database $db | Should -BeNullOrEmpty
        }
    }

    Context 'errors' {
        It 'reports a missing file as a non-terminating FileNotFound error and records the rest' {
            $db = New-CatalogPath -Directory $catalogs
            $missing = Join-Path $source 'no-such-file.txt'
            $inputs = @($topFiles[0].FullName, $missing, $topFiles[1].FullName)

            $inputs | Write-Finding -Database $db -ErrorAction SilentlyContinue -ErrorVariable writeErrors

            $writeErrors | Should -HaveCount 1
            $writeErrors[0].FullyQualifiedErrorId | Should -Be "FileNotFound,$cmdlet"
            $writeErrors[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            Join-Sorted @(Get-Finding -Database $db).FullName | Should -Be (Join-Sorted @($topFiles[0].FullName, $topFiles[1].FullName))
            $run = Get-ScanRun -Database $db -Last 1
            $run.Status | Should -Be 'Completed'
            $run.Files | Should -Be 2
            $run.Errors | Should -Be 1
        }

        It 'stores a missing file as a FileVanished error item of the Records run' {
            $db = New-CatalogPath -Directory $catalogs
            $missing = Join-Path $source 'also-missing.txt'

            $someFile, $missing | Write-Finding -Database $db -ErrorAction SilentlyContinue

            $run = Get-ScanRun -Database $db -Last 1
            $items = @(Get-ScanError -Database $db -ScanId $run.Id)
            $items | Should -HaveCount 1
            $items[0].Kind | Should -Be 'FileVanished'
            $items[0].FullName | Should -Be $missing
            $items[0].ScanId | Should -Be $run.Id
            $items[0].Message | Should -Not -BeNullOrEmpty
            $run.Errors | Should -Be $items.Count
        }

        It 'reports a FileInfo of a missing file as FileNotFound' {
            $db = New-CatalogPath -Directory $catalogs

            [IO.FileInfo]::new((Join-Path $source 'vanished.txt')) | Write-Finding -Database $db -ErrorAction SilentlyContinue -ErrorVariable writeErrors

            $writeErrors | Should -HaveCount 1
            $writeErrors[0].FullyQualifiedErrorId | Should -Be "FileNotFound,$cmdlet"
        }

        It 'turns FileNotFound into a terminating error with -ErrorAction Stop, ending the run Cancelled with the item stored' {
            $db = New-CatalogPath -Directory $catalogs
            $missing = Join-Path $source 'no-such-file.txt'

            { $someFile, $missing, $topFiles[1].FullName | Write-Finding -Database $db -ErrorAction Stop } |
                Should -Throw -ErrorId "FileNotFound,$cmdlet"

            $run = Get-ScanRun -Database $db -Last 1
            $run.Kind | Should -Be 'Records'
            $run.Status | Should -Be 'Cancelled'
            $run.Files | Should -Be 1
            $run.Errors | Should -Be 1
            @(Get-Finding -Database $db).FullName | Should -Be @($someFile)
            @(Get-ScanError -Database $db -ScanId $run.Id).FullName | Should -Be @($missing)
        }

        It 'reports a folder from Get-Item as NotAFile' {
            $db = New-CatalogPath -Directory $catalogs

            Get-Item -LiteralPath (Join-Path $source 'd1') | Write-Finding -Database $db -ErrorAction SilentlyContinue -ErrorVariable writeErrors

            $writeErrors | Should -HaveCount 1
            $writeErrors[0].FullyQualifiedErrorId | Should -Be "NotAFile,$cmdlet"
            $writeErrors[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            Get-Finding -Database $db | Should -BeNullOrEmpty
            $run = Get-ScanRun -Database $db -Last 1
            $run.Errors | Should -Be 1
            $items = @(Get-ScanError -Database $db -ScanId $run.Id)
            $items | Should -HaveCount 1
            $items[0].Kind | Should -Be 'NotAFile'
            $items[0].FullName | Should -Be (Join-Path $source 'd1')
        }

        It 'reports a folder path string as NotAFile' {
            $db = New-CatalogPath -Directory $catalogs
            $folder = Join-Path $source 'd2'

            $folder | Write-Finding -Database $db -ErrorAction SilentlyContinue -ErrorVariable writeErrors

            $writeErrors | Should -HaveCount 1
            $writeErrors[0].FullyQualifiedErrorId | Should -Be "NotAFile,$cmdlet"
            $writeErrors[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $items = @(Get-ScanError -Database $db)
            $items | Should -HaveCount 1
            $items[0].Kind | Should -Be 'NotAFile'
            $items[0].FullName | Should -Be $folder
        }

        It 'records the file a path with a backslash names as written, not the one PowerShell reads it as (newcomer test 81)' -Skip:$IsWindows {
            $odd = New-TestDirectory -Parent $trees
            [IO.File]::WriteAllText("$odd/plain.txt", "the other file, longer`n")
            [IO.File]::WriteAllText("$odd/x\..\plain.txt", "odd`n")
            $wdb = New-CatalogPath -Directory $catalogs

            "$odd/x\..\plain.txt" | Write-Finding -Database $wdb -ErrorAction Stop
            [pscustomobject]@{ FullName = "$odd/x\..\plain.txt" } | Write-Finding -Database $wdb -ErrorAction Stop

            $recorded = @(Get-Finding -Database $wdb)
            $recorded | Should -HaveCount 1
            $recorded[0].FullName | Should -Be "$odd/x\..\plain.txt"
            $recorded[0].Length | Should -Be 4
        }

        It 'reports a path of another provider as a non-terminating InvalidPath error and stores it' {
            $db = New-CatalogPath -Directory $catalogs

            'Env:\PATH', $someFile | Write-Finding -Database $db -ErrorAction SilentlyContinue -ErrorVariable writeErrors

            $writeErrors | Should -HaveCount 1
            $writeErrors[0].FullyQualifiedErrorId | Should -Be "InvalidPath,$cmdlet"
            $writeErrors[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            @(Get-Finding -Database $db).FullName | Should -Be @($someFile)
            $run = Get-ScanRun -Database $db -Last 1
            $run.Status | Should -Be 'Completed'
            $run.Errors | Should -Be 1
            $items = @(Get-ScanError -Database $db -ScanId $run.Id)
            $items | Should -HaveCount 1
            $items[0].Kind | Should -Be 'InvalidName'
            $items[0].FullName | Should -Be 'Env:\PATH'
        }

        It 'reports an empty or blank path string as InvalidPath, not as the current folder' -ForEach @(
            @{ Blank = '' }
            @{ Blank = '   ' }
        ) {
            $db = New-CatalogPath -Directory $catalogs

            Push-Location -LiteralPath $trees
            try {
                $Blank, $someFile | Write-Finding -Database $db -ErrorAction SilentlyContinue -ErrorVariable writeErrors
            }
            finally {
                Pop-Location
            }

            $writeErrors | Should -HaveCount 1
            $writeErrors[0].FullyQualifiedErrorId | Should -Be "InvalidPath,$cmdlet"
            $writeErrors[0].Exception.Message | Should -BeLike '*empty path*'
            @(Get-Finding -Database $db).FullName | Should -Be @($someFile)
        }

        It 'takes the FullName key of a hashtable as the path' {
            $db = New-CatalogPath -Directory $catalogs

            $recorded = @{ FullName = $someFile } | Write-Finding -Database $db -PassThru

            $recorded.FullName | Should -Be $someFile
            @(Get-Finding -Database $db).FullName | Should -Be @($someFile)
        }

        It 'reports an object without FullName as NoFullName (InvalidType), records the rest and stores no error item' {
            $db = New-CatalogPath -Directory $catalogs

            [pscustomobject]@{ Name = 'no-full-name' }, $someFile |
                Write-Finding -Database $db -ErrorAction SilentlyContinue -ErrorVariable writeErrors

            $writeErrors | Should -HaveCount 1
            $writeErrors[0].FullyQualifiedErrorId | Should -Be "NoFullName,$cmdlet"
            $writeErrors[0].CategoryInfo.Category | Should -Be 'InvalidType'
            $writeErrors[0].Exception.Message | Should -BeLike '*FullName*'
            @(Get-Finding -Database $db).FullName | Should -Be @($someFile)
            (Get-ScanRun -Database $db -Last 1).Errors | Should -Be 0
            Get-ScanError -Database $db | Should -BeNullOrEmpty
            42, @{ a = 1 } | Write-Finding -Database $db -ErrorAction SilentlyContinue -ErrorVariable none
            $none | Should -HaveCount 2
            @(Get-ScanRun -Database $db) | Should -HaveCount 1 -Because 'objects that name no file made an empty Records run each time'
        }

        It 'records a file whose content it cannot read for -Hash without a hash, with an AccessDenied error item (Linux/macOS)' -Skip:$IsWindows {
            if (Test-IsRoot) {
                Set-ItResult -Skipped -Because 'running as root: file permissions do not stop root from reading'
                return
            }
            $file = New-TestFile -Path (Join-Path (New-TestDirectory -Parent $trees) 'secret.txt') -Content 'secret'
            $readable = $someFile
            $info = [IO.FileInfo]::new($file)
            $savedMode = $info.UnixFileMode
            $hashedDb = New-CatalogPath -Directory $catalogs
            $plainDb = New-CatalogPath -Directory $catalogs

            $info.UnixFileMode = [IO.UnixFileMode]::None
            try {
                $file, $readable | Write-Finding -Hash -Database $hashedDb -ErrorAction SilentlyContinue
                $file | Write-Finding -Database $plainDb -ErrorAction SilentlyContinue -ErrorVariable plainErrors
            }
            finally {
                $info.UnixFileMode = $savedMode
            }

            # Like Start-Scan -Hash: recorded with its metadata, without a hash, and the problem is stored with the run.
            $hashed = @(Get-Finding -Database $hashedDb -LiteralPath $file)
            $hashed | Should -HaveCount 1
            $hashed[0].Sha256 | Should -BeNullOrEmpty
            $hashed[0].Length | Should -Be (Get-Item -LiteralPath $file).Length
            @(Get-Finding -Database $hashedDb -LiteralPath $readable)[0].Sha256 |
                Should -Be (Get-FileHash -LiteralPath $readable -Algorithm SHA256).Hash
            $run = Get-ScanRun -Database $hashedDb -Last 1
            $run.Status | Should -Be 'Completed'
            $run.Files | Should -Be 2
            $run.Errors | Should -Be 1
            $items = @(Get-ScanError -Database $hashedDb -ScanId $run.Id)
            $items | Should -HaveCount 1
            $items[0].Kind | Should -Be 'AccessDenied'
            $items[0].FullName | Should -Be $file
            # Without -Hash the content is not read, so nothing goes wrong.
            $plainErrors | Should -BeNullOrEmpty
            @(Get-Finding -Database $plainDb).FullName | Should -Be @($file)
            (Get-ScanRun -Database $plainDb -Last 1).Errors | Should -Be 0
        }

        It 'refuses a file that is not a catalog with CatalogNotACatalog and leaves it unchanged' {
            $db = New-CatalogPath -Directory $catalogs
            [IO.File]::WriteAllText($db, 'not a catalog')

            { $someFile | Write-Finding -Database $db } | Should -Throw -ErrorId "CatalogNotACatalog,$cmdlet"

            [IO.File]::ReadAllText($db) | Should -BeExactly 'not a catalog'
        }
    }

    Context 'end to end: 8 runspaces recording into one catalog at once' {
        BeforeAll {
            $parallelRoot = Join-Path $trees 'parallel'
            $folders = foreach ($n in 1..8) {
                $folder = Join-Path $parallelRoot "w$n"
                $null = New-TestTree -Path $folder -Folders 4 -FilesPerFolder 40
                $folder
            }
            $total = Get-TestFileCount -LiteralPath $parallelRoot
        }

        It 'records the exact total with no errors, one Completed Records run per runspace' {
            $db = New-CatalogPath -Directory $catalogs

            $results = @($folders | ForEach-Object -ThrottleLimit 8 -Parallel {
                    Import-Module $using:modulePath
                    $writeErrors = $null
                    Get-ChildItem -LiteralPath $_ -Recurse -File -Force |
                        Write-Finding -Database $using:db -ErrorVariable writeErrors -ErrorAction SilentlyContinue
                    [pscustomobject]@{ Folder = $_; Errors = @($writeErrors).Count }
                })

            $results | Should -HaveCount 8
            foreach ($r in $results) {
                $r.Errors | Should -Be 0 -Because "recording $($r.Folder)"
            }
            @(Get-Finding -Database $db) | Should -HaveCount $total
            $runs = @(Get-ScanRun -Database $db)
            $runs | Should -HaveCount 8
            @($runs | Where-Object { $_.Kind -ne 'Records' -or $_.Status -ne 'Completed' -or $_.Errors -ne 0 }) | Should -BeNullOrEmpty
            ($runs | ForEach-Object { $_.Files } | Measure-Object -Sum).Sum | Should -Be $total
            Join-Sorted @(Get-Finding -Database $db).FullName |
                Should -Be (Join-Sorted @(Get-ChildItem -LiteralPath $parallelRoot -Recurse -File -Force).FullName)
        }
    }
}
