# Find-DuplicateFile: groups of identical files from a catalog, piped to Remove-Item as a user would.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ScanToolsTestModulePath) -Force
    $catalogs = Join-Path $TestDrive 'catalogs'
    $null = New-Item -ItemType Directory -Path $catalogs -Force
    $cmdlet = 'ScanTools.Commands.FindDuplicateFileCommand'

    function New-DuplicateTree([string] $Root) {
        $random = [Random]::new(5)
        $big = [byte[]]::new(100KB); $random.NextBytes($big)
        $null = New-Item -ItemType Directory -Path (Join-Path $Root 'a'), (Join-Path $Root 'b'), (Join-Path $Root 'c') -Force
        [IO.File]::WriteAllBytes((Join-Path $Root 'a/original.bin'), $big)
        [IO.File]::WriteAllBytes((Join-Path $Root 'b/copy1.bin'), $big)
        [IO.File]::WriteAllBytes((Join-Path $Root 'c/copy2.bin'), $big)
        $other = [byte[]]$big.Clone(); $other[50000] = $other[50000] -bxor 1
        [IO.File]::WriteAllBytes((Join-Path $Root 'c/almost.bin'), $other)   # same size, same ends, other middle
        $null = New-TestFile -Path (Join-Path $Root 'a/unique.txt') -Content 'only one'
        $null = New-TestFile -Path (Join-Path $Root 'a/empty1') -Size 0
        $null = New-TestFile -Path (Join-Path $Root 'b/empty2') -Size 0
        # The original is the oldest: it is the one kept.
        (Get-Item -LiteralPath (Join-Path $Root 'a/original.bin')).LastWriteTimeUtc = [datetime]'2020-01-01'
    }
}

Describe 'Find-DuplicateFile' {
    Context 'a scanned tree with three copies' {
        BeforeAll {
            $root = Join-Path $TestDrive 'dups'
            New-DuplicateTree $root
            if (-not $IsWindows) { ln (Join-Path $root 'b/copy1.bin') (Join-Path $root 'b/copy1-link.bin') }
            $db = New-CatalogPath -Directory $catalogs
            $null = Start-Scan -Path $root -Database $db
            $groups = @(Find-DuplicateFile -Database $db)
        }

        It 'returns one group for the three copies, with the SHA-256 Get-FileHash computes' {
            $groups | Should -HaveCount 1
            $g = $groups[0]
            $g | Should -BeOfType ScanTools.Duplicates.DuplicateGroup
            $g.Count | Should -Be 3
            $g.Length | Should -Be 100KB
            $g.WastedBytes | Should -Be (2 * 100KB)
            $g.Sha256 | Should -Be (Get-FileHash -LiteralPath (Join-Path $root 'a/original.bin') -Algorithm SHA256).Hash
        }

        It 'keeps the oldest copy, and counts a hard link as the copy it names (Unix)' -Skip:$IsWindows {
            $g = $groups[0]
            $g.Keep | Should -Be (Join-Path $root 'a/original.bin')
            Join-Sorted $g.LiteralPath | Should -Be (Join-Sorted @((Join-Path $root 'b/copy1.bin'), (Join-Path $root 'b/copy1-link.bin'), (Join-Path $root 'c/copy2.bin')))
            $g.Files | Should -HaveCount 4
        }

        It 'writes the paths of a group into Export-Csv, one per line, not a type name' {
            $csv = Join-Path $TestDrive 'groups.csv'
            $groups | Export-Csv -LiteralPath $csv

            $row = @(Import-Csv -LiteralPath $csv)[0]

            $row.Files -split "`n" | Should -Be @($groups[0].Files) -Because 'Export-Csv wrote System.Collections.Generic.List`1[System.String]'
            $row.LiteralPath -split "`n" | Should -Be @($groups[0].LiteralPath)
        }

        It 'stores the hashes it computed, so Get-Finding -Hash finds the copies' {
            @(Get-Finding -Database $db -Hash $groups[0].Sha256).Count | Should -BeGreaterOrEqual 3
            (Get-ScanRun -Database $db -Last 1).Kind | Should -Be 'Duplicates'
        }

        It 'pipes to Remove-Item: -WhatIf removes nothing, and without it only the copies go' {
            $groups | Remove-Item -WhatIf
            Test-Path -LiteralPath (Join-Path $root 'c/copy2.bin') | Should -BeTrue

            Find-DuplicateFile -Database $db | Remove-Item

            Test-Path -LiteralPath (Join-Path $root 'a/original.bin') | Should -BeTrue
            Test-Path -LiteralPath (Join-Path $root 'c/copy2.bin') | Should -BeFalse
            Test-Path -LiteralPath (Join-Path $root 'b/copy1.bin') | Should -BeFalse
            Test-Path -LiteralPath (Join-Path $root 'c/almost.bin') | Should -BeTrue
        }

        It 'leaves out, with a warning, files removed since the scan' {
            $after = @(Find-DuplicateFile -Database $db -WarningVariable warned -WarningAction SilentlyContinue)
            $after | Should -BeNullOrEmpty
            $warned | Should -Not -BeNullOrEmpty
            "$warned" | Should -BeLike '*scan again*'
        }
    }

    Context 'files gone since the scan' {
        It 'warns of <Gone> gone file(s) in a sentence of the right number' -ForEach @(
            @{ Gone = 1; Expected = '1 file the catalog holds is gone, changed or replaced by another file since it was scanned; it was left out.' }
            @{ Gone = 2; Expected = '2 files the catalog holds are gone, changed or replaced by other files since they were scanned; they were left out.' }
        ) {
            $root = New-TestDirectory -Parent $TestDrive
            $copies = foreach ($i in 1..3) { New-TestFile -Path (Join-Path $root "copy$i.txt") -Content 'the same content' }
            $db = New-CatalogPath -Directory $catalogs
            $null = Start-Scan -Path $root -Database $db
            $copies | Select-Object -First $Gone | Remove-Item

            $null = Find-DuplicateFile -Database $db -NoStore -WarningVariable warned -WarningAction SilentlyContinue

            $warned | Should -HaveCount 1
            "$warned" | Should -BeLike "$Expected *"
        }
    }

    Context 'options' {
        BeforeAll {
            $root = Join-Path $TestDrive 'opts'
            New-DuplicateTree $root
            $db = New-CatalogPath -Directory $catalogs
            $null = Start-Scan -Path $root -Database $db
        }

        It 'includes empty files as one group with -MinSize 0' {
            $empty = @(Find-DuplicateFile -Database $db -MinSize 0 -NoStore | Where-Object Length -EQ 0)
            $empty | Should -HaveCount 1
            $empty[0].Count | Should -Be 2
        }

        It 'leaves the catalog unchanged with -NoStore' {
            $null = Find-DuplicateFile -Database $db -NoStore
            Get-Finding -Database $db | Where-Object Sha256 | Should -BeNullOrEmpty
        }

        It 'searches only under -Path' {
            $scoped = @(Find-DuplicateFile -Database $db -Path (Join-Path $root 'c'), (Join-Path $root 'b') -NoStore)
            $scoped | Should -HaveCount 1
            $scoped[0].Count | Should -Be 2
        }

        It 'searches among piped findings and files alone (before, it searched the whole catalog)' {
            # b holds copy1 and its hard link (one file): alone, no copies. b and c: copy1 and copy2.
            @(Get-Finding -Database $db -Path (Join-Path $root 'b') | Find-DuplicateFile -NoStore) | Should -BeNullOrEmpty
            $piped = @(Get-ChildItem -LiteralPath (Join-Path $root 'b'), (Join-Path $root 'c') -File | Find-DuplicateFile -Database $db -NoStore)
            $piped | Should -HaveCount 1
            $paths = @($piped[0].Keep) + @($piped[0].LiteralPath)
            $paths | Should -Contain (Join-Path $root 'c/copy2.bin')
            $paths | Should -Not -Contain (Join-Path $root 'a/original.bin') -Because 'a was not piped'
            $piped[0].Count | Should -Be 2
        }

        It 'searches nothing when the pipeline brings no file, and says so (it searched the whole catalog: newcomer test 74)' {
            $found = @(Get-Finding -Database $db -Path (Join-Path $root 'no-such-folder') -WarningAction SilentlyContinue |
                Find-DuplicateFile -Database $db -NoStore -WarningVariable w -WarningAction SilentlyContinue)
            $found | Should -BeNullOrEmpty
            "$w" | Should -BeLike '*No file was piped*searched nothing*'
            @(@() | Find-DuplicateFile -Database $db -NoStore -WarningAction SilentlyContinue) | Should -BeNullOrEmpty
            @(Find-DuplicateFile -Database $db -NoStore) | Should -HaveCount 1 -Because 'without pipeline input it searches the whole catalog'
        }

        It 'takes piped strings as literal paths, and reports objects that give no path (newcomer test 78: a binding error, then "No file was piped")' {
            $found = @((Join-Path $root 'b/copy1.bin'), (Join-Path $root 'c/copy2.bin') | Find-DuplicateFile -Database $db -NoStore -ErrorAction Stop)
            $found | Should -HaveCount 1
            $found[0].Count | Should -Be 2
            $found[0].Files | Should -Not -Contain (Join-Path $root 'a/original.bin') -Because 'only the piped paths are searched'
            @((Join-Path $root 'b/copy1.bin') | Find-DuplicateFile -Database $db -NoStore) | Should -BeNullOrEmpty -Because 'one piped file has no copy among the piped files'

            $none = @([pscustomobject]@{ Name = 'x' }, 42 | Find-DuplicateFile -Database $db -NoStore -ErrorVariable bindErrors -ErrorAction SilentlyContinue -WarningVariable w -WarningAction SilentlyContinue)
            $none | Should -BeNullOrEmpty
            $bindErrors | Should -HaveCount 2
            $bindErrors[0].FullyQualifiedErrorId | Should -Be "InputObjectNotBound,$cmdlet"
            "$($bindErrors[0])" | Should -BeLike '*PSCustomObject gives Find-DuplicateFile no path*'
            "$w" | Should -BeLike '*No piped object gave a file''s path*searched nothing*'
            @('' | Find-DuplicateFile -Database $db -NoStore -ErrorVariable blank -ErrorAction SilentlyContinue -WarningAction SilentlyContinue) | Should -BeNullOrEmpty
            $blank[0].FullyQualifiedErrorId | Should -Be "EmptyPathPiped,$cmdlet"
        }

        It 'takes CSV rows with a FullName column (Select-Object FullName | Export-Csv, Export-FindingMatch)' {
            $csv = Join-Path $TestDrive 'fullnames.csv'
            Get-Finding -Database $db -Path (Join-Path $root 'b'), (Join-Path $root 'c') | Select-Object FullName | Export-Csv -LiteralPath $csv
            $rows = @(Import-Csv -LiteralPath $csv | Find-DuplicateFile -Database $db -NoStore -ErrorAction Stop)
            $rows | Should -HaveCount 1
            $rows[0].Count | Should -Be 2
        }

        It 'does not call a wildcard -Path that matched files without copies a pattern that matches nothing (newcomer test 78)' {
            @(Find-DuplicateFile -Database $db -Path (Join-Path $root 'a/uni*') -NoStore -WarningVariable w) | Should -BeNullOrEmpty
            $w | Should -BeNullOrEmpty
        }

        It 'takes the rows of Get-Finding read back with Import-Csv by their PSPath (newcomer test 76)' {
            $csv = Join-Path $TestDrive 'found.csv'
            Get-Finding -Database $db -Path (Join-Path $root 'b'), (Join-Path $root 'c') | Export-Csv -LiteralPath $csv
            $rows = @(Import-Csv -LiteralPath $csv | Find-DuplicateFile -Database $db -NoStore -ErrorVariable rowErrors)
            $rowErrors | Should -BeNullOrEmpty
            $rows | Should -HaveCount 1
            $rows[0].Count | Should -Be 2
        }

        It 'takes thousands of piped paths (SQLite refused 1,000 as too deep an expression), and refuses more than 8,000, saying to give their folders' {
            $paths = @(Get-ChildItem -LiteralPath (Join-Path $root 'b'), (Join-Path $root 'c') -File).FullName
            $many = @(1..3000 | ForEach-Object { [pscustomobject]@{ PSPath = Join-Path $root "a/none$_" } }) + @($paths | ForEach-Object { [pscustomobject]@{ PSPath = $_ } })
            $found = @($many | Find-DuplicateFile -Database $db -NoStore -ErrorAction Stop)
            $found | Should -HaveCount 1
            @(Get-Finding -Database $db -LiteralPath ($many.PSPath) -ErrorAction Stop).Count | Should -Be $paths.Count
            $tooMany = 1..8001 | ForEach-Object { [pscustomobject]@{ PSPath = Join-Path $root "a/none$_" } }
            { $tooMany | Find-DuplicateFile -Database $db -NoStore } | Should -Throw -ErrorId "InvalidFilter,$cmdlet" -ExpectedMessage '*at most 8,000 paths*-Path*'
            { Get-Finding -Database $db -LiteralPath ($tooMany.PSPath) } | Should -Throw -ErrorId 'InvalidFilter*' -ExpectedMessage '*at most 8,000*'
        }

        It 'reads nothing the second time: -Verbose says so' {
            $null = Find-DuplicateFile -Database $db
            $verbose = Find-DuplicateFile -Database $db -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
            "$verbose" | Should -BeLike '*the whole of 0 *'
        }

        It 'fits the default view in 80 columns' {
            $text = Find-DuplicateFile -Database $db | Out-String -Width 80
            ($text -split "`n" | Where-Object { $_.TrimEnd().Length -gt 80 }) | Should -BeNullOrEmpty
            $text | Should -Match 'copies:'
        }
    }

    Context 'bad input' {
        It 'warns of a typed path no scan has recorded, as Get-Finding does, and of a bracketed root taken as a wildcard' {
            $tree = Join-Path $TestDrive 'br[a]ck'
            New-DuplicateTree $tree
            $c = New-CatalogPath -Directory $catalogs
            $null = Start-Scan -LiteralPath $tree -Database $c

            @(Find-DuplicateFile -Database $c -Path (Join-Path $TestDrive 'nope') -WarningVariable typo -WarningAction SilentlyContinue) | Should -BeNullOrEmpty
            "$typo" | Should -BeLike "*holds no file or folder '$(Join-Path $TestDrive 'nope')'*"
            @(Find-DuplicateFile -Database $c -Path $tree -WarningVariable pattern -WarningAction SilentlyContinue) | Should -BeNullOrEmpty
            "$pattern" | Should -BeLike "*matches nothing, but the catalog records '$([WildcardPattern]::Escape($tree))' by that very name*-LiteralPath*"
            @(Find-DuplicateFile -Database $c -LiteralPath $tree -WarningVariable literal -WarningAction SilentlyContinue) | Should -HaveCount 1
            $literal | Should -BeNullOrEmpty
        }

        It 'says there is no catalog' {
            { Find-DuplicateFile -Database (Join-Path $catalogs 'none.db') } | Should -Throw -ErrorId "CatalogNotFound,$cmdlet"
        }

        It 'refuses files piped from two catalogs, whichever comes first' {
            $one = New-CatalogPath -Directory $catalogs
            $two = New-CatalogPath -Directory $catalogs
            $tree = Join-Path $TestDrive 'two-catalogs'
            New-DuplicateTree $tree
            $null = Start-Scan -Path $tree -Database $one
            $null = Start-Scan -Path $tree -Database $two
            # The search read the last piped object's catalog: the answer hung on the order of the input.
            { @(Get-Finding -Database $one) + @(Get-Finding -Database $two -First 1) | Find-DuplicateFile -NoStore } |
                Should -Throw -ErrorId "InvalidFilter,$cmdlet" -ExpectedMessage '*come from 2 catalogs*'
            { @(Get-Finding -Database $two -First 1) + @(Get-Finding -Database $one) | Find-DuplicateFile -NoStore } |
                Should -Throw -ErrorId "InvalidFilter,$cmdlet"
            @(Get-Finding -Database $one | Find-DuplicateFile -NoStore) | Should -HaveCount 1
        }

        It 'leaves a copy whose name holds a backslash out of LiteralPath, with a warning, so Remove-Item cannot remove another file (newcomer test 74)' -Skip:$IsWindows {
            $tree = Join-Path $TestDrive 'backslash'
            $null = New-Item -ItemType Directory -Path (Join-Path $tree 'back') -Force
            [IO.File]::WriteAllText((Join-Path $tree 'keep.txt'), 'same content')
            (Get-Item -LiteralPath (Join-Path $tree 'keep.txt')).LastWriteTimeUtc = [datetime]'2020-01-01'
            [IO.File]::WriteAllText("$tree/back\slash.txt", 'same content')
            [IO.File]::WriteAllText((Join-Path $tree 'back/slash.txt'), 'IMPORTANT, unique')
            $bdb = New-CatalogPath -Directory $catalogs
            $null = Start-Scan -Path $tree -Database $bdb

            $groups = @(Find-DuplicateFile -Database $bdb -NoStore -WarningVariable w -WarningAction SilentlyContinue)
            $groups | Should -HaveCount 1
            $groups[0].Files | Should -Contain "$tree/back\slash.txt"
            @($groups[0].LiteralPath) | Should -BeNullOrEmpty
            "$w" | Should -BeLike "*back\slash.txt*reads as a folder separator*left out*"
            $groups | Remove-Item -ErrorAction SilentlyContinue
            Get-Content -LiteralPath (Join-Path $tree 'back/slash.txt') | Should -Be 'IMPORTANT, unique'
        }

        It 'searches a piped finding whose name holds a backslash as the file it is, where its PSPath is empty (newcomer test 78)' -Skip:$IsWindows {
            # Its PSPath is empty because PowerShell would read it as back/slash.txt, which exists; before, the finding was
            # a binding error ("null or empty"), and a typed -LiteralPath of it selected back/slash.txt.
            $tree = Join-Path $TestDrive 'backslash-piped'
            $null = New-Item -ItemType Directory -Path (Join-Path $tree 'back') -Force
            [IO.File]::WriteAllText("$tree/back\slash.txt", 'same content')
            [IO.File]::WriteAllText((Join-Path $tree 'copy.txt'), 'same content')
            [IO.File]::WriteAllText((Join-Path $tree 'back/slash.txt'), 'other')
            [IO.File]::WriteAllText((Join-Path $tree 'back/slash2.txt'), 'other')
            $bdb = New-CatalogPath -Directory $catalogs
            $null = Start-Scan -Path $tree -Database $bdb
            $odd = Get-Finding -Database $bdb -LiteralPath "$tree/back\slash.txt"
            $odd.FullName | Should -Be "$tree/back\slash.txt"
            $odd.PSPath | Should -BeNullOrEmpty

            $groups = @($odd, (Get-Finding -Database $bdb -LiteralPath (Join-Path $tree 'copy.txt')) | Find-DuplicateFile -NoStore -ErrorAction Stop -WarningAction SilentlyContinue)
            $groups | Should -HaveCount 1
            Join-Sorted $groups[0].Files | Should -Be (Join-Sorted @("$tree/back\slash.txt", (Join-Path $tree 'copy.txt')))
            @("$tree/back\slash.txt", (Join-Path $tree 'copy.txt') | Find-DuplicateFile -Database $bdb -NoStore -ErrorAction Stop -WarningAction SilentlyContinue) | Should -HaveCount 1
        }

        It 'refuses a path of another provider with InvalidFilter' {
            $db = New-CatalogPath -Directory $catalogs
            $null = Start-Scan -Path $PSScriptRoot -MaxDepth 0 -Database $db
            { Find-DuplicateFile -Database $db -Path 'Env:\PATH' } | Should -Throw -ErrorId "InvalidFilter,$cmdlet"
        }
    }
}
