# Get-ScanError: the error items that scans and Write-Finding runs stored in a catalog.
# Error ids are compared as full FullyQualifiedErrorIds ("<id>,<cmdlet class>"): Pester 5's -ErrorId
# matches with -like against the whole FullyQualifiedErrorId.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $modulePath = Get-ScanToolsTestModulePath
    Import-Module $modulePath -Force

    $catalogs = Join-Path $TestDrive 'catalogs'
    $trees = Join-Path $TestDrive 'trees'
    $null = New-Item -ItemType Directory -Path $catalogs, $trees -Force
    $cmdlet = 'ScanTools.Commands.GetScanErrorCommand'

    # One catalog with three runs, oldest first:
    #  1. a clean scan (no error items);
    #  2. a Write-Finding run given two missing files and a folder (FileVanished, FileVanished, IoError);
    #  3. a scan one of whose roots disappears before the walk (RootNotFound).
    $source = New-TestDirectory -Parent $trees -Name 'source'
    $null = New-TestTree -Path $source -Folders 1 -FilesPerFolder 2
    $db = New-CatalogPath -Directory $catalogs

    $cleanRun = Start-Scan -Path $source -Database $db

    $missingA = Join-Path $source 'gone-a.txt'
    $missingB = Join-Path $source 'gone-b.txt'
    $folder = Join-Path $source 'd1'
    $present = Join-Path $source 'top.txt'
    $missingA, $present, $missingB, $folder | Write-Finding -Database $db -ErrorAction SilentlyContinue
    $recordsRun = Get-ScanRun -Database $db -Last 1

    $doomed = New-TestDirectory -Parent $trees -Name 'doomed'
    $survivor = New-TestDirectory -Parent $trees -Name 'survivor'
    $null = New-TestFile -Path (Join-Path $survivor 'kept.txt') -Content 'kept'
    # The roots are bound one by one; the doomed folder is deleted after it was bound and before the walk.
    $brokenRun = $survivor, $doomed |
        ForEach-Object -Process { $_ } -End { Remove-Item -LiteralPath $doomed -Recurse -Force } |
        Start-Scan -Database $db -ErrorAction SilentlyContinue

    $allErrors = @(Get-ScanError -Database $db)
}

Describe 'Get-ScanError' {

    Context 'the runs the tests rely on' {
        It 'ran three runs with 0, 3 and 1 error items' {
            $cleanRun.Errors | Should -Be 0
            $recordsRun.Kind | Should -Be 'Records'
            $recordsRun.Errors | Should -Be 3
            $brokenRun.Status | Should -Be 'Completed'
            $brokenRun.Errors | Should -Be 1
        }
    }

    Context 'listing' {
        It 'returns every stored item, newest run first and each run in the order of its items' {
            $allErrors | Should -HaveCount 4
            $allErrors[0].ScanId | Should -Be $brokenRun.Id
            $allErrors[0].Kind | Should -Be 'RootNotFound'
            $allErrors[0].FullName | Should -Be $doomed
            @($allErrors[1..3].ScanId | Select-Object -Unique) | Should -Be @($recordsRun.Id)
            $allErrors[1..3].FullName | Should -Be @($missingA, $missingB, $folder)
            $allErrors[1..3].Kind | Should -Be @('FileVanished', 'FileVanished', 'NotAFile')
        }

        It 'emits ScanTools.Scanning.ScanError objects' {
            @($allErrors | Where-Object { $_ -isnot [ScanTools.Scanning.ScanError] }) | Should -BeNullOrEmpty
        }

        It 'has the property <_>' -ForEach @('ScanId', 'Kind', 'FullName', 'PSPath', 'Message', 'OccurredUtc') {
            $allErrors[0].PSObject.Properties.Name | Should -Contain $_
        }

        It 'says what happened in every message' {
            @($allErrors | Where-Object { [string]::IsNullOrWhiteSpace($_.Message) }) | Should -BeNullOrEmpty
        }

        It 'stamps each item with a UTC time inside its run' {
            foreach ($item in $allErrors) {
                $run = Get-ScanRun -Database $db -Id $item.ScanId
                $item.OccurredUtc.Kind | Should -Be 'Utc'
                $item.OccurredUtc | Should -BeGreaterOrEqual $run.StartedUtc
                $item.OccurredUtc | Should -BeLessOrEqual $run.EndedUtc
            }
        }

        It 'adds up, per run, to the Errors count of Get-ScanRun' {
            foreach ($run in @(Get-ScanRun -Database $db)) {
                @($allErrors | Where-Object ScanId -EQ $run.Id) | Should -HaveCount $run.Errors
            }
        }

        It 'shows ScanId, Kind, Path and Message in the default table' {
            $text = $allErrors | Format-Table | Out-String -Width 400

            $text | Should -Match 'ScanId\s+Kind\s+Path\s+Message'
            $text | Should -Match ([regex]::Escape($doomed))
        }
    }

    Context '-ScanId' {
        It 'takes -ScanId by position' {
            $result = @(Get-ScanError $brokenRun.Id -Database $db)

            $result | Should -HaveCount 1
            $result[0].Kind | Should -Be 'RootNotFound'
        }

        It 'returns nothing for a run without error items' {
            Get-ScanError -ScanId $cleanRun.Id -Database $db | Should -BeNullOrEmpty
        }

        It 'treats several ids as alternatives' {
            @(Get-ScanError -ScanId $recordsRun.Id, $brokenRun.Id -Database $db) | Should -HaveCount 4
        }

        It 'reports a run id the catalog does not have as the non-terminating error InvalidFilter, and lists the items of the others' {
            $missing = (Get-ScanRun -Database $db -Last 1).Id + 1   # after the newest run: not in the catalog
            $result = @(Get-ScanError -ScanId $brokenRun.Id, $missing -Database $db -ErrorVariable errs -ErrorAction SilentlyContinue)

            @($result | ForEach-Object FullName) | Should -Be @($allErrors | Where-Object ScanId -EQ $brokenRun.Id | ForEach-Object FullName)
            $errs | Should -HaveCount 1
            $errs[0].FullyQualifiedErrorId | Should -Be "InvalidFilter,$cmdlet"
            $errs[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $errs[0].TargetObject | Should -Be $missing
            $errs[0].Exception.ExitCode | Should -Be ([ScanTools.Hosting.ScanExitCode]::BadArguments)
            $change = { Get-ScanChange -Database $db -ScanId $missing -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidFilter,*' -PassThru
            $errs[0].Exception.Message | Should -Be $change.Exception.Message

            Get-ScanError -ScanId $missing -Database $db -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            { Get-ScanError -ScanId $missing -Database $db -ErrorAction Stop } | Should -Throw -ErrorId "InvalidFilter,$cmdlet"
        }

        It 'accepts the alias -Id' {
            @(Get-ScanError -Id $recordsRun.Id -Database $db) | Should -HaveCount 3
        }

        It 'binds a run piped from Get-ScanRun, one query per run' {
            $result = @(Get-ScanRun -Database $db | Get-ScanError -Database $db)

            $result | Should -HaveCount 4
            Join-Sorted ($result | ForEach-Object { $_.FullName }) | Should -Be (Join-Sorted ($allErrors | ForEach-Object { $_.FullName }))
        }

        It 'binds the run Start-Scan returned' {
            $result = @($brokenRun | Get-ScanError -Database $db)

            $result | Should -HaveCount 1
            $result[0].FullName | Should -Be $doomed
        }

        It 'binds from an object with a <Property> property' -ForEach @(
            @{ Property = 'Id' }
            @{ Property = 'ScanId' }
        ) {
            $piped = [pscustomobject]@{ $Property = $recordsRun.Id }

            @($piped | Get-ScanError -Database $db) | Should -HaveCount 3
        }

        It 'returns nothing for an id the catalog does not have' {
            Get-ScanError -ScanId 99999 -Database $db | Should -BeNullOrEmpty
        }
    }

    Context '-Kind and -First' {
        It 'returns only the kinds asked for' {
            $result = @(Get-ScanError -Kind FileVanished -Database $db)

            $result | Should -HaveCount 2
            $result.FullName | Should -Be @($missingA, $missingB)
        }

        It 'treats several kinds as alternatives' {
            @(Get-ScanError -Kind FileVanished, RootNotFound -Database $db) | Should -HaveCount 3
        }

        It 'combines -Kind with -ScanId' {
            Get-ScanError -Kind RootNotFound -ScanId $recordsRun.Id -Database $db | Should -BeNullOrEmpty
        }

        It 'rejects a kind that does not exist' {
            { Get-ScanError -Kind 'Bogus' -Database $db } |
                Should -Throw -ExceptionType ([System.Management.Automation.ParameterBindingException])
        }

        It 'returns the first N items in order with -First N' {
            $result = @(Get-ScanError -First 2 -Database $db)

            $result | Should -HaveCount 2
            $result[0].FullName | Should -Be $allErrors[0].FullName
            $result[1].FullName | Should -Be $allErrors[1].FullName
        }

        It 'returns nothing with -First 0' {
            Get-ScanError -First 0 -Database $db | Should -BeNullOrEmpty
        }

        It 'applies -First to each piped run' {
            @(Get-ScanRun -Database $db | Get-ScanError -First 1 -Database $db) | Should -HaveCount 2
        }

        It 'rejects a negative -First by validation' {
            { Get-ScanError -First -1 -Database $db } | Should -Throw -ErrorId "ParameterArgumentValidationError,$cmdlet"
        }
    }

    Context 'piped to the file cmdlets' {
        It 'names its entry exactly to a piped Remove-Item (its Path bound -Path, a wildcard: cache[1] removed cache1, newcomer test 79)' {
            $tree = New-TestDirectory -Parent $trees
            $null = New-Item -ItemType Directory -Path (Join-Path $tree 'cache1'), (Join-Path $tree 'real')
            $null = New-TestFile -Path (Join-Path $tree 'cache1/precious') -Content 'keep'
            $edb = New-CatalogPath -Directory $catalogs
            $null = Start-Scan -LiteralPath (Join-Path $tree 'real'), (Join-Path $tree 'cache[1]') -Database $edb -ErrorAction SilentlyContinue

            $items = @(Get-ScanError -Database $edb)
            $items | Should -HaveCount 1
            $items[0].FullName | Should -Be (Join-Path $tree 'cache[1]')
            $items[0].PSPath | Should -Be (Join-Path $tree 'cache[1]')
            $items | Remove-Item -Recurse -ErrorAction SilentlyContinue -ErrorVariable notFound
            $notFound | Should -Not -BeNullOrEmpty -Because 'cache[1] does not exist, and nothing else is named'
            Get-Content -LiteralPath (Join-Path $tree 'cache1/precious') | Should -Be 'keep'
        }
    }

    Context 'the catalog a piped object came from' {
        BeforeAll {
            $savedDefault = $env:SCANTOOLS_DATABASE
        }
        AfterAll {
            $env:SCANTOOLS_DATABASE = $savedDefault
        }

        It 'reads the errors of a piped run from the run''s own catalog, not $env:SCANTOOLS_DATABASE' {
            $other = New-CatalogPath -Directory $catalogs
            $null = Start-Scan -Path $source -Database $other
            $env:SCANTOOLS_DATABASE = $other

            $items = @(Get-ScanRun -Database $db -Id $recordsRun.Id | Get-ScanError)

            $items | Should -HaveCount 3
            $items.Database | Select-Object -Unique | Should -Be $db
        }

        It 'reads them when $env:SCANTOOLS_DATABASE is not set at all' {
            $env:SCANTOOLS_DATABASE = $null

            @(Get-ScanRun -Database $db -Id $brokenRun.Id | Get-ScanError).Kind | Should -Be @('RootNotFound')
        }

        It 'still prefers an explicit -Database over the piped object''s catalog' {
            $other = New-CatalogPath -Directory $catalogs
            $null = Start-Scan -Path $source -Database $other

            @(Get-ScanRun -Database $db -Id $recordsRun.Id | Get-ScanError -Database $other) | Should -BeNullOrEmpty
        }
    }

    Context 'catalog errors' {
        It 'reports a missing catalog as CatalogNotFound and does not create it' {
            $missing = New-CatalogPath -Directory $catalogs

            { Get-ScanError -Database $missing } | Should -Throw -ErrorId "CatalogNotFound,$cmdlet"

            Test-Path -LiteralPath $missing | Should -BeFalse
        }

        It 'reports a file that is not a catalog as CatalogNotACatalog' {
            $notCatalog = New-CatalogPath -Directory $catalogs
            [IO.File]::WriteAllText($notCatalog, 'plain text')

            { Get-ScanError -Database $notCatalog } | Should -Throw -ErrorId "CatalogNotACatalog,$cmdlet"
        }

        It 'resolves a relative -Database against the PowerShell location' {
            Push-Location -LiteralPath (Split-Path -Parent $db)
            try {
                $result = @(Get-ScanError -Database (Split-Path -Leaf $db))
            }
            finally {
                Pop-Location
            }

            $result | Should -HaveCount 4
        }

        It 'reads the catalog named by $env:SCANTOOLS_DATABASE when -Database is not given' {
            $saved = $env:SCANTOOLS_DATABASE
            try {
                $env:SCANTOOLS_DATABASE = $db
                $result = @(Get-ScanError)
            }
            finally {
                if ($null -eq $saved) {
                    Remove-Item -Path Env:SCANTOOLS_DATABASE -ErrorAction SilentlyContinue
                }
                else {
                    $env:SCANTOOLS_DATABASE = $saved
                }
            }

            $result | Should -HaveCount 4
        }
    }
}
