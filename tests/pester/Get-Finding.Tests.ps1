# Get-Finding: querying a catalog, and piping findings to the commands users pipe files to.
# Error ids are compared as full FullyQualifiedErrorIds ("<id>,<cmdlet class>"): Pester 5's -ErrorId
# matches with -like against the whole FullyQualifiedErrorId.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $modulePath = Get-ScanToolsTestModulePath
    Import-Module $modulePath -Force

    $catalogs = Join-Path $TestDrive 'catalogs'
    $trees = Join-Path $TestDrive 'trees'
    $null = New-Item -ItemType Directory -Path $catalogs, $trees -Force
    $cmdlet = 'ScanTools.Commands.GetFindingCommand'

    # One scanned fixture shared by the read-only tests below.
    $root = Join-Path $trees 'finding'
    $docs = Join-Path $root 'docs'
    $logs = Join-Path $root 'logs'
    $bins = Join-Path $root 'bin'
    $oldTime = [datetime]::new(2001, 1, 1, 0, 0, 0, [DateTimeKind]::Utc)
    $midTime = [datetime]::new(2021, 6, 1, 12, 0, 0, [DateTimeKind]::Utc)
    $alpha = New-TestFile -Path (Join-Path $docs 'alpha.txt') -Size 100 -LastWriteTimeUtc $oldTime
    $beta = New-TestFile -Path (Join-Path $docs 'Beta.TXT') -Size 2000 -LastWriteTimeUtc $midTime
    $null = New-TestFile -Path (Join-Path $docs 'readme') -Size 10
    $null = New-TestFile -Path (Join-Path $root 'docs-old' 'stale.txt') -Content 'stale'
    $appLog = New-TestFile -Path (Join-Path $logs 'app.log') -Size 5000
    $null = New-TestFile -Path (Join-Path $logs 'old.LOG') -Size 300
    $deepLog = New-TestFile -Path (Join-Path $logs 'sub' 'deep.log') -Size 700
    $hidden = New-TestFile -Path (Join-Path $root '.hidden') -Size 1 -Hidden
    $dup1 = New-TestFile -Path (Join-Path $bins 'dup1.bin') -Content 'same-content'
    $dup2 = New-TestFile -Path (Join-Path $bins 'dup2.bin') -Content 'same-content'
    $unique = New-TestFile -Path (Join-Path $bins 'unique.bin') -Content 'unique-content'

    $allFiles = @(Get-ChildItem -LiteralPath $root -Recurse -File -Force)
    $total = $allFiles.Count
    $db = New-CatalogPath -Directory $catalogs
    $run = Start-Scan -Path $root -Hash -Database $db
}

Describe 'Get-Finding -Name against -like' {
    It 'finds exactly the names Where-Object -like finds, through the name index or row by row' {
        $tree = Join-Path $TestDrive 'like-tree'
        $names = @('Report2024.XLSX', 'report_final.docx', 'x%y_z.txt', 'ΣΣΣ.txt', 'σσς.log', 'μ.txt', 'Μ.txt', 'µ.dat',
            "a$([char]::ConvertFromUtf32(0x1F600)).txt", "$([char]::ConvertFromUtf32(0x10400))abc.txt", "$([char]::ConvertFromUtf32(0x10428))abc.txt",
            "emoji$([char]::ConvertFromUtf32(0x1F600))$([char]::ConvertFromUtf32(0x1F525)).txt", 'data[1].csv', 'naïve résumé.pdf', 'straße.md', 'STRASSE.md')
        foreach ($n in $names) { $null = New-TestFile -Path (Join-Path $tree $n) -Content $n }
        $likeDb = New-CatalogPath -Directory (Join-Path $TestDrive 'like-catalogs')
        $null = Start-Scan -Path $tree -Database $likeDb
        $patterns = @('*port*', 'REPORT*', 'x%y*', 'σσς*', '*σσ*', 'µ*', 'Μ*', "*$([char]::ConvertFromUtf32(0x1F600))*", "a$([char]::ConvertFromUtf32(0x1F600)).txt",
            "$([char]::ConvertFromUtf32(0x10428))abc.txt", 'emoji????.txt', 'emoji??.txt', 'data`[1`].csv', 'data[0-9].csv', '*résumé*', '*strasse*', '*.md', '*abc.txt')
        foreach ($p in $patterns) {
            $expected = @(Get-ChildItem -LiteralPath $tree -File | Where-Object Name -like $p | ForEach-Object Name | Sort-Object)
            $actual = @(Get-Finding -Database $likeDb -Name $p | ForEach-Object Name | Sort-Object)
            ($actual -join '|') | Should -Be ($expected -join '|') -Because "pattern $p"
        }
    }
}

Describe 'Get-Finding' {

    Context 'output' {
        BeforeAll {
            $findings = @(Get-Finding -Database $db)
            $alphaFinding = @(Get-Finding -Database $db -Path $alpha)[0]
        }

        It 'emits one ScanTools.Storage.Finding per file in the catalog' {
            $findings | Should -HaveCount $total
            @($findings | Where-Object { $_ -isnot [ScanTools.Storage.Finding] }) | Should -BeNullOrEmpty
            Join-Sorted $findings.FullName | Should -Be (Join-Sorted $allFiles.FullName)
        }

        It 'has the property <_>' -ForEach @(
            'FullName', 'Name', 'Directory', 'Extension', 'Length', 'LastWriteTimeUtc', 'CreationTimeUtc', 'Attributes',
            'Sha256', 'FirstScanId', 'LastScanId', 'RemovedScanId', 'Removed', 'PSPath', 'LastWriteTime'
        ) {
            $findings[0].PSObject.Properties.Name | Should -Contain $_
        }

        It 'describes the file as it was scanned' {
            $alphaFinding | Should -BeOfType ScanTools.Storage.Finding
            $alphaFinding.FullName | Should -Be $alpha
            $alphaFinding.Name | Should -BeExactly 'alpha.txt'
            $alphaFinding.Directory | Should -Be $docs
            $alphaFinding.Extension | Should -BeExactly '.txt'
            $alphaFinding.Length | Should -Be 100
            $alphaFinding.LastWriteTimeUtc | Should -Be $oldTime
            $alphaFinding.LastWriteTimeUtc.Kind | Should -Be 'Utc'
        }

        It 'records the SHA-256 a -Hash scan computed' {
            $alphaFinding.Sha256 | Should -Be (Get-FileHash -LiteralPath $alpha -Algorithm SHA256).Hash
        }

        It 'records the attributes the file system reports, Hidden for hidden files' {
            $alphaFinding.Attributes | Should -Be (Get-Item -LiteralPath $alpha -Force).Attributes
            $hiddenFinding = @(Get-Finding -Database $db -Path $hidden)[0]
            $hiddenFinding.Attributes | Should -Be (Get-Item -LiteralPath $hidden -Force).Attributes
            $hiddenFinding.Attributes.HasFlag([IO.FileAttributes]::Hidden) | Should -BeTrue
        }

        It 'reports a creation time in UTC when the file system records one' {
            if ($null -ne $alphaFinding.CreationTimeUtc) {
                $alphaFinding.CreationTimeUtc.Kind | Should -Be 'Utc'
                $alphaFinding.CreationTimeUtc | Should -BeLessOrEqual ([datetime]::UtcNow.AddMinutes(1))
            }
            else {
                $alphaFinding.PSObject.Properties['CreationTimeUtc'] | Should -Not -BeNullOrEmpty
            }
        }

        It 'names the run that first and last saw the file and no removing run' {
            $alphaFinding.FirstScanId | Should -Be $run.Id
            $alphaFinding.LastScanId | Should -Be $run.Id
            $alphaFinding.RemovedScanId | Should -BeNullOrEmpty
            $alphaFinding.Removed | Should -BeFalse
        }

        It 'has PSPath, the full path under the name file cmdlets bind -LiteralPath to' {
            $alphaFinding.PSPath | Should -Be $alphaFinding.FullName
        }

        It 'has UnixMode as Get-ChildItem shows it, and the raw mode beside it (Linux/macOS)' -Skip:$IsWindows {
            $alphaFinding.UnixMode | Should -Be (Get-Item -LiteralPath $alpha).UnixMode
            $alphaFinding.Mode | Should -Be $alphaFinding.UnixMode
            $alphaFinding.UnixStatMode -band 0xFFF | Should -Be ([int](Get-Item -LiteralPath $alpha).UnixFileMode)
        }

        It 'carries the catalog it was read from' {
            $alphaFinding.Database | Should -Be $db
        }

        It 'shows a link with its target, and fits 80 columns with the whole name (Linux/macOS)' -Skip:$IsWindows {
            $folder = New-TestDirectory -Parent $trees
            $target = New-TestFile -Path (Join-Path $folder 'forty-two-characters-of-name-0123456.txt') -Content 'x'
            $null = New-TestFile -Path (Join-Path $folder 'short.txt') -Content 'y'
            $null = New-Item -ItemType SymbolicLink -Path (Join-Path $folder 'link') -Target 'short.txt'
            $linkDb = New-CatalogPath -Directory $catalogs
            $null = Start-Scan -Path $folder -Database $linkDb

            $text = Get-Finding -Database $linkDb | Out-String -Width 80
            $lines = $text -split "`r?`n"

            $lines | Where-Object { $_.Length -gt 80 } | Should -BeNullOrEmpty
            $text | Should -Not -Match '…' -Because 'names wrap; they are never cut'
            ($lines -match '^-rw-r--r-- .* forty-two-characters-of-name-0123456\.txt$') | Should -HaveCount 1
            ($lines -match '^lrwxrwxrwx .* link -> short\.txt$') | Should -HaveCount 1
        }

        It 'has LastWriteTime in local time' {
            $alphaFinding.LastWriteTime | Should -Be $oldTime.ToLocalTime()
            $alphaFinding.LastWriteTime.Kind | Should -Be 'Local'
        }
    }

    Context '-Path' {
        It 'returns everything under a folder, not a sibling folder sharing its name as a prefix' {
            $result = @(Get-Finding -Database $db -Path $docs)

            Join-Sorted $result.Name | Should -BeExactly 'Beta.TXT|alpha.txt|readme'
        }

        It 'returns files in subfolders of the folder' {
            $result = @(Get-Finding -Database $db -Path $logs)

            Join-Sorted $result.FullName | Should -Be (Join-Sorted @(Get-ChildItem -LiteralPath $logs -Recurse -File -Force).FullName)
            $result.FullName | Should -Contain $deepLog
        }

        It 'returns exactly one file for a file path' {
            $result = @(Get-Finding -Database $db -Path $appLog)

            $result | Should -HaveCount 1
            $result[0].FullName | Should -Be $appLog
        }

        It 'matches a wildcard against the full path' {
            $result = @(Get-Finding -Database $db -Path (Join-Path $logs 'a*'))

            $result | Should -HaveCount 1
            $result[0].FullName | Should -Be $appLog
        }

        It 'lets * in a path span folders' {
            $result = @(Get-Finding -Database $db -Path (Join-Path $logs '*deep*'))

            $result | Should -HaveCount 1
            $result[0].FullName | Should -Be $deepLog
        }

        It 'accepts several paths as alternatives' {
            $result = @(Get-Finding -Database $db -Path $docs, $bins)

            $result | Should -HaveCount 6
        }

        It 'takes -Path by position' {
            @(Get-Finding $docs -Database $db) | Should -HaveCount 3
        }

        It 'resolves a relative path against the PowerShell location' {
            Push-Location -LiteralPath $root
            try {
                $result = @(Get-Finding -Database $db -Path ./docs)
            }
            finally {
                Pop-Location
            }

            Join-Sorted $result.Name | Should -BeExactly 'Beta.TXT|alpha.txt|readme'
        }

        It 'binds a file from Get-Item to -LiteralPath by PSPath' {
            $result = @(Get-Item -LiteralPath $beta | Get-Finding -Database $db)

            $result | Should -HaveCount 1
            $result[0].FullName | Should -Be $beta
        }

        It 'binds a folder from Get-Item to -LiteralPath by PSPath' {
            $result = @(Get-Item -LiteralPath $bins | Get-Finding -Database $db)

            Join-Sorted $result.Name | Should -BeExactly 'dup1.bin|dup2.bin|unique.bin'
        }

        It 'binds an object''s Path property to -Path, with wildcards' {
            $result = @([pscustomobject]@{ Path = (Join-Path $logs 'a*') } | Get-Finding -Database $db)

            $result | Should -HaveCount 1
            $result[0].FullName | Should -Be $appLog
        }

        It 'takes -FullName as -LiteralPath, not as -Path (its alias on -Path read brackets as wildcards)' {
            @(Get-Finding -Database $db -FullName $alpha).FullName | Should -Be @($alpha)
            (Get-Command Get-Finding).Parameters['Path'].Aliases | Should -Not -Contain 'FullName'
            (Get-Command Get-Finding).Parameters['LiteralPath'].Aliases | Should -Contain 'FullName'
        }

        It 'takes piped strings and the paths of piped folder sizes and error items literally, brackets and all' {
            $odd = Join-Path $TestDrive 'pipe[1]'
            $null = New-Item -ItemType Directory -Path $odd
            'x' | Set-Content -LiteralPath (Join-Path $odd 'in.txt')
            $oddDb = New-CatalogPath -Directory $catalogs
            $null = Start-Scan -Path $odd -Database $oddDb
            @(Measure-ScanFolder -Database $oddDb -Path $odd -Depth 0 | Get-Finding).Name | Should -Be @('in.txt') -Because 'a folder named pipe[1] is no wildcard'
            @((Join-Path $odd 'in.txt') | Get-Finding -Database $oddDb).Name | Should -Be @('in.txt')
            5 | Get-Finding -Database $oddDb -ErrorVariable notBound -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $notBound[0].FullyQualifiedErrorId | Should -Be "InputObjectNotBound,$cmdlet"
            @(Measure-ScanFile -Database $oddDb | Get-Finding -ErrorVariable groupNotBound -ErrorAction SilentlyContinue) | Should -BeNullOrEmpty -Because 'a group carries only its catalog, and selected every file of it'
            $groupNotBound[0].FullyQualifiedErrorId | Should -Be "InputObjectNotBound,$cmdlet"

            # Lines of Get-Content carry the list file's PSPath: each line is the path, not the list file.
            $list = Join-Path $odd 'list.txt'
            Set-Content -LiteralPath $list -Value (Join-Path $odd 'in.txt'), '', (Join-Path $odd 'none.txt')
            $null = Start-Scan -Path $odd -Database $oddDb
            $fromList = @(Get-Content -LiteralPath $list | Get-Finding -Database $oddDb -ErrorVariable blank -ErrorAction SilentlyContinue)
            $fromList.Name | Should -Be @('in.txt') -Because 'the blank line names nothing, and the list file itself is not asked for'
            $blank[0].FullyQualifiedErrorId | Should -Be "EmptyPathPiped,$cmdlet"
            @('' | Get-Finding -Database $oddDb -ErrorAction SilentlyContinue) | Should -BeNullOrEmpty -Because 'an empty path returned the whole catalog'
            @($null | Get-Finding -Database $oddDb -ErrorAction SilentlyContinue) | Should -BeNullOrEmpty
        }

        It 'reads a leading // as / on Linux and macOS, as the system does' -Skip:$IsWindows {
            $doubled = '/' + $alpha
            @(Get-Finding -Database $db -Path $doubled).FullName | Should -Be @($alpha)
            @(Get-Finding -Database $db -LiteralPath $doubled).FullName | Should -Be @($alpha)
            @($doubled | Get-Finding -Database $db).FullName | Should -Be @($alpha) -Because '//tmp/x returned nothing, without a word'
            $twice = '/' + ($alpha -replace '/', '//')   # ///tmp//x//alpha.txt
            @(Get-Finding -Database $db -LiteralPath $twice).FullName | Should -Be @($alpha) -Because '//tmp//x: the leading // kept the ones after it'
            @(Get-ScanChange -Database $db -LiteralPath $twice).Count | Should -Be @(Get-ScanChange -Database $db -LiteralPath $alpha).Count
        }

        It 'refuses an empty -Path list rather than return the whole catalog' {
            $none = @()
            { Get-Finding -Database $db -Path $none } | Should -Throw -ErrorId "InvalidFilter,$cmdlet" -ExpectedMessage '*empty list*leave -Path out*'
            { Get-Finding -Database $db -Path '' } | Should -Throw -ErrorId "ParameterArgumentValidationError,$cmdlet"
            @([pscustomobject]@{ Path = @() } | Get-Finding -Database $db -ErrorVariable emptyPiped -ErrorAction SilentlyContinue) | Should -BeNullOrEmpty
            $emptyPiped[0].FullyQualifiedErrorId | Should -Be "EmptyPathPiped,$cmdlet"
        }

        It 'rejects a pattern holding a NUL with InvalidFilter instead of matching what comes before it' {
            { Get-Finding -Database $db -Name "a`0b" } | Should -Throw -ErrorId "InvalidFilter,$cmdlet"
            { Get-Finding -Database $db -Path "$TestDrive/a`0zz*" } | Should -Throw -ErrorId "InvalidFilter,$cmdlet"
            { Get-ScanChange -Database $db -Name "a`0b" } | Should -Throw -ErrorId 'InvalidFilter,ScanTools.Commands.GetScanChangeCommand'
        }

        It 'rejects a path of another provider with InvalidFilter' {
            { Get-Finding -Database $db -Path 'Env:\PATH' } | Should -Throw -ErrorId "InvalidFilter,$cmdlet"
        }
    }

    Context '-LiteralPath' {
        BeforeAll {
            # Names with wildcard characters next to the names those wildcards would match.
            $literalRoot = Join-Path $trees 'literal'
            $bracketFile = New-TestFile -Path ([IO.Path]::Combine($literalRoot, 'a[1].txt')) -Content 'brackets'
            $plainFile = New-TestFile -Path ([IO.Path]::Combine($literalRoot, 'a1.txt')) -Content 'plain'
            # Windows file names cannot contain an asterisk.
            $starFile = if (-not $IsWindows) { New-TestFile -Path ([IO.Path]::Combine($literalRoot, 'star*.txt')) -Content 'star' }
            $null = New-TestFile -Path ([IO.Path]::Combine($literalRoot, 'starlet.txt')) -Content 'starlet'
            $bracketFolder = [IO.Path]::Combine($literalRoot, 'set[2]')
            $inner = New-TestFile -Path ([IO.Path]::Combine($bracketFolder, 'inner.txt')) -Content 'inner'
            $deeper = New-TestFile -Path ([IO.Path]::Combine($bracketFolder, 'deeper', 'x.txt')) -Content 'x'
            $null = New-TestFile -Path ([IO.Path]::Combine($literalRoot, 'set2', 'decoy.txt')) -Content 'decoy'
            $literalDb = New-CatalogPath -Directory $catalogs
            $null = Start-Scan -LiteralPath $literalRoot -Database $literalDb
        }

        AfterAll {
            # Keep a name with an asterisk away from Pester's recursive TestDrive cleanup.
            if ($starFile) {
                [IO.File]::Delete($starFile)
            }
        }

        It 'returns exactly the file a[1].txt, not a1.txt' {
            $result = @(Get-Finding -Database $literalDb -LiteralPath $bracketFile)

            $result | Should -HaveCount 1
            $result[0].FullName | Should -Be $bracketFile
        }

        It 'warns that a -Path with brackets names a recorded folder, by the name the catalog records (no trailing separator: newcomer test 73)' {
            $folderSpelled = $bracketFolder + [IO.Path]::DirectorySeparatorChar
            @(Get-Finding -Database $literalDb -Path $folderSpelled -WarningVariable w -WarningAction SilentlyContinue) | Should -BeNullOrEmpty
            "$w" | Should -BeLike "*catalog records '$([WildcardPattern]::Escape($bracketFolder))' by that very name*"
        }

        It 'never lets Remove-Item act on what has a removed file''s path now: a new file or a folder made there (newcomer test 84)' {
            $tree = New-TestDirectory -Parent $trees
            $null = New-TestFile -Path (Join-Path $tree 'gone.txt') -Content 'old'
            $null = New-TestFile -Path (Join-Path $tree 'nowfolder') -Content 'old'
            $rdb = New-CatalogPath -Directory $catalogs
            $null = Start-Scan -Path $tree -Database $rdb
            Remove-Item -LiteralPath (Join-Path $tree 'gone.txt'), (Join-Path $tree 'nowfolder')
            $second = Start-Scan -Path $tree -Database $rdb
            $null = New-TestFile -Path (Join-Path $tree 'gone.txt') -Content 'a new file of the old name'
            $null = New-TestFile -Path (Join-Path $tree 'nowfolder/keep.txt') -Content 'keep'

            $removed = @(Get-Finding -Database $rdb -Removed)
            $removed | Should -HaveCount 2
            @($removed.PSPath | Where-Object { $_ }) | Should -BeNullOrEmpty
            "$($removed[0])" | Should -BeLike "* (removed in scan $($second.Id): no PSPath*"
            $removed | Remove-Item -Recurse -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable refused
            @(Get-Finding -Database $rdb -IncludeRemoved | Where-Object Removed) | Remove-Item -Recurse -Confirm:$false -ErrorAction SilentlyContinue
            $refused | Should -HaveCount 2
            Get-Content -LiteralPath (Join-Path $tree 'gone.txt') | Should -Be 'a new file of the old name'
            Get-Content -LiteralPath (Join-Path $tree 'nowfolder/keep.txt') | Should -Be 'keep'
            # Get-ScanChange and Get-Finding still take them, by FullName.
            @($removed | Get-ScanChange -Database $rdb).ChangeType | Should -Be @('Removed', 'Removed')
            @($removed | Get-Finding -Database $rdb -Removed) | Should -HaveCount 2
        }

        It 'never lets Remove-Item act on another file for a name with a backslash (Linux/macOS; newcomer test 76)' -Skip:$IsWindows {
            $tree = New-TestDirectory -Parent $trees
            $null = New-Item -ItemType Directory -Path (Join-Path $tree 'back')
            [IO.File]::WriteAllText("$tree/back\slash.txt", "DB_PASSWORD=Hunter2SuperSecret`n")
            [IO.File]::WriteAllText("$tree/back/slash.txt", "innocent`n")
            [IO.File]::WriteAllText("$tree/lone\name.txt", "alone`n")
            $bdb = New-CatalogPath -Directory $catalogs
            $null = Start-Scan -LiteralPath $tree -Rule connection-string-password -Database $bdb

            $found = @(Get-Finding -Database $bdb | Where-Object Name -EQ 'back\slash.txt')
            $found | Should -HaveCount 1
            $found[0].PSPath | Should -BeNullOrEmpty -Because 'PowerShell reads back\slash.txt as back/slash.txt, another file that exists'
            $found | Remove-Item -ErrorAction SilentlyContinue
            @(Get-FindingMatch -Database $bdb) | Remove-Item -ErrorAction SilentlyContinue
            Get-Content -LiteralPath "$tree/back/slash.txt" | Should -Be 'innocent'
            (Get-Finding -Database $bdb | Where-Object Name -EQ 'lone\name.txt').PSPath | Should -BeNullOrEmpty -Because 'PowerShell reads it as lone/name.txt, which a later file could take (a CSV kept the PSPath: newcomer test 81)'
        }

        It 'warns that a Find-DuplicateFile run lists the kept copies too, once a run (Get-ScanRun -Kind Duplicates | Get-Finding | Remove-Item removed them)' {
            $tree = New-TestDirectory -Parent $trees
            'same' | Set-Content -LiteralPath (Join-Path $tree 'keep.txt')
            'same' | Set-Content -LiteralPath (Join-Path $tree 'copy.txt')
            $ddb = New-CatalogPath -Directory $catalogs
            $null = Start-Scan -LiteralPath $tree -Database $ddb
            $null = Find-DuplicateFile -Database $ddb
            $run = Get-ScanRun -Database $ddb -Kind Duplicates -Last 1

            $files = @($run | Get-Finding -WarningVariable w -WarningAction SilentlyContinue)
            $files | Should -HaveCount 2
            @($w) | Should -HaveCount 1
            "$w" | Should -BeLike "Run $($run.Id) is a Find-DuplicateFile run*the copy each group keeps included*pipe Find-DuplicateFile's groups to Remove-Item*"
            $null = Get-Finding -Database $ddb -ScanId (Get-ScanRun -Database $ddb -Kind Scan -Last 1).Id -WarningVariable scanRun
            $scanRun | Should -BeNullOrEmpty
        }

        It 'gives a link to a folder whose name holds * or ? no PSPath, so Remove-Item cannot remove the folder its name matches (newcomer test 81)' -Skip:$IsWindows {
            $tree = New-TestDirectory -Parent $trees
            $null = New-Item -ItemType Directory -Path (Join-Path $tree 'target'), (Join-Path $tree 'lXk')
            [IO.File]::WriteAllText("$tree/lXk/v", "precious`n")
            $null = [IO.Directory]::CreateSymbolicLink("$tree/l*k", 'target')
            [IO.File]::WriteAllText("$tree/star*.txt", "a file`n")
            $ldb = New-CatalogPath -Directory $catalogs
            $null = Start-Scan -LiteralPath $tree -Database $ldb

            $link = Get-Finding -Database $ldb -LiteralPath "$tree/l*k"
            $link.PSPath | Should -BeNullOrEmpty
            $link | Remove-Item -ErrorAction SilentlyContinue
            Get-Content -LiteralPath "$tree/lXk/v" | Should -Be 'precious'
            (Get-Finding -Database $ldb -LiteralPath "$tree/star*.txt").PSPath | Should -Be "$tree/star*.txt" -Because 'a file named with * is removed as itself'
        }

        It 'lets Rename-Item rename no other file or folder through an object without PSPath (it took the text as a wildcard path: newcomer test 81)' -Skip:$IsWindows {
            $tree = New-TestDirectory -Parent $trees
            $null = New-Item -ItemType Directory -Path (Join-Path $tree 'x')
            $null = [IO.Directory]::CreateDirectory("$tree/d*r")
            $null = [IO.Directory]::CreateDirectory("$tree/d?r")
            [IO.File]::WriteAllText("$tree/plain.txt", "plain`n")
            [IO.File]::WriteAllText("$tree/x\..\plain.txt", "odd`n")
            $rdb = New-CatalogPath -Directory $catalogs
            $null = Start-Scan -LiteralPath $tree -Database $rdb

            $odd = Get-Finding -Database $rdb -LiteralPath "$tree/x\..\plain.txt"
            "$odd" | Should -BeLike "$tree/x\..\plain.txt  (no PSPath*use rm or mv)"
            $odd | Rename-Item -NewName 'renamed.txt' -ErrorAction SilentlyContinue
            Measure-ScanFolder -Database $rdb -LiteralPath $tree -Depth 1 | Where-Object Name -EQ 'd*r' | Rename-Item -NewName 'renamed-dir' -ErrorAction SilentlyContinue
            Join-Sorted (Get-ChildItem -LiteralPath $tree -Force).Name | Should -Be (Join-Sorted @('d*r', 'd?r', 'plain.txt', 'x', 'x\..\plain.txt'))
            "$(Get-Finding -Database $rdb -LiteralPath "$tree/plain.txt")" | Should -Be "$tree/plain.txt"
        }

        It 'refuses an empty or null list of severities or extensions, which selected every file (newcomer test 81)' {
            { Get-Finding -Database $literalDb -Severity @() } | Should -Throw -ErrorId "ParameterArgumentValidationError*,$cmdlet"
            { Get-Finding -Database $literalDb -Severity $null } | Should -Throw -ErrorId "ParameterArgumentValidationError*,$cmdlet"
            { Get-Finding -Database $literalDb -Extension @() } | Should -Throw -ErrorId "ParameterArgumentValidationError*,$cmdlet"
            { Get-FindingMatch -Database $literalDb -Severity @() } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
            { Get-ScanRun -Database $literalDb -Kind @() } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        }

        It 'selects the file a backslash path names, typed with -LiteralPath or piped with an empty PSPath (Linux/macOS; newcomer test 78)' -Skip:$IsWindows {
            $tree = New-TestDirectory -Parent $trees
            $null = New-Item -ItemType Directory -Path (Join-Path $tree 'back')
            [IO.File]::WriteAllText("$tree/back\slash.txt", "DB_PASSWORD=Hunter2SuperSecret`n")
            [IO.File]::WriteAllText("$tree/back/slash.txt", "innocent`n")
            $bdb = New-CatalogPath -Directory $catalogs
            $null = Start-Scan -LiteralPath $tree -Rule connection-string-password -Database $bdb

            # PowerShell's path resolution made this back/slash.txt, another file; the piped finding was a binding error.
            $typed = @(Get-Finding -Database $bdb -LiteralPath "$tree/back\slash.txt")
            $typed.FullName | Should -Be "$tree/back\slash.txt"
            @(Get-Finding -Database $bdb -LiteralPath "Microsoft.PowerShell.Core\FileSystem::$tree/back\slash.txt").FullName | Should -Be "$tree/back\slash.txt"
            $typed[0].PSPath | Should -BeNullOrEmpty
            @($typed | Get-Finding -ErrorAction Stop).FullName | Should -Be "$tree/back\slash.txt"
            $matches = @($typed | Get-FindingMatch -ErrorAction Stop)
            $matches | Should -HaveCount 1
            $matches[0].FullName | Should -Be "$tree/back\slash.txt"
            { [pscustomobject]@{ PSPath = '' } | Get-Finding -Database $bdb -ErrorAction Stop } | Should -Throw -ErrorId "EmptyPathPiped,$cmdlet"
        }

        It 'differs from -Path, which takes [1] as a wildcard and so finds a1.txt' {
            $result = @(Get-Finding -Database $literalDb -Path $bracketFile)

            $result | Should -HaveCount 1
            $result[0].FullName | Should -Be $plainFile
        }

        It 'takes a -Path without wildcard characters as written, backticks included, as Get-Item does (Linux/macOS)' -Skip:$IsWindows {
            $folder = New-TestDirectory -Parent $trees
            $tick = New-TestFile -Path (Join-Path $folder 'back`tick.txt') -Content 'x'
            $bracket = New-TestFile -Path (Join-Path $folder 'b[1].txt') -Content 'y'
            $tickDb = New-CatalogPath -Directory $catalogs
            $null = Start-Scan -LiteralPath $folder -Database $tickDb

            @(Get-Finding -Database $tickDb -Path $tick).FullName | Should -Be @($tick)
            # With a wildcard character, escaped or not, it is a pattern, where the backtick escapes.
            @(Get-Finding -Database $tickDb -Path (Join-Path $folder 'b`[1`].txt')).FullName | Should -Be @($bracket)
            @(Get-Finding -Database $tickDb -Path (Join-Path $folder 'back?tick.txt')).FullName | Should -Be @($tick)
            # What [WildcardPattern]::Escape makes of the name (a doubled backtick) is a pattern too, as for Get-ChildItem.
            $escaped = Join-Path $folder ([WildcardPattern]::Escape('back`tick.txt'))
            @(Get-ChildItem -Path $escaped).FullName | Should -Be @($tick)
            @(Get-Finding -Database $tickDb -Path $escaped).FullName | Should -Be @($tick)
            @(Get-Finding -Database $tickDb -Path $folder -Name ([WildcardPattern]::Escape('back`tick.txt'))).FullName | Should -Be @($tick)
        }

        It 'takes an asterisk in a name literally (Linux/macOS)' -Skip:$IsWindows {
            $result = @(Get-Finding -Database $literalDb -LiteralPath $starFile)

            $result | Should -HaveCount 1
            $result[0].FullName | Should -Be $starFile
        }

        It 'binds Get-Item output to -LiteralPath: exactly one result for a[1].txt' {
            $result = @(Get-Item -LiteralPath $bracketFile | Get-Finding -Database $literalDb)

            $result | Should -HaveCount 1
            $result[0].FullName | Should -Be $bracketFile
        }

        It 'binds every file Get-ChildItem emits, each to its own query' {
            $items = @(Get-ChildItem -LiteralPath $literalRoot -File)

            $result = @($items | Get-Finding -Database $literalDb)

            Join-Sorted $result.FullName | Should -Be (Join-Sorted $items.FullName)
        }

        It 'returns everything under a folder given to -LiteralPath, and nothing of a folder its brackets would match' {
            $result = @(Get-Finding -Database $literalDb -LiteralPath $bracketFolder)

            Join-Sorted $result.FullName | Should -Be (Join-Sorted @($inner, $deeper))
        }

        It 'binds a finding piped in by its PSPath alias' {
            $finding = @(Get-Finding -Database $literalDb -LiteralPath $bracketFile)[0]
            $finding.PSPath | Should -Be $finding.FullName

            $result = @($finding | Get-Finding -Database $literalDb)

            $result | Should -HaveCount 1
            $result[0].FullName | Should -Be $bracketFile
        }

        It 'binds a file record from Start-Scan -PassThru by its PSPath alias' {
            $record = @(Start-Scan -LiteralPath $bracketFolder -PassThru -Database (New-CatalogPath -Directory $catalogs) |
                    Where-Object { $_ -is [ScanTools.Scanning.FileRecord] } | Where-Object Name -EQ 'inner.txt')[0]

            $result = @($record | Get-Finding -Database $literalDb)

            $result | Should -HaveCount 1
            $result[0].FullName | Should -Be $inner
        }

        It 'takes the alias <_>' -ForEach @('LP', 'PSPath') {
            $parameters = @{ Database = $literalDb; $_ = $bracketFile }

            $result = @(Get-Finding @parameters)

            $result | Should -HaveCount 1
            $result[0].FullName | Should -Be $bracketFile
        }

        It 'resolves a relative -LiteralPath against the PowerShell location' {
            Push-Location -LiteralPath $literalRoot
            try {
                $result = @(Get-Finding -Database $literalDb -LiteralPath './a[1].txt')
            }
            finally {
                Pop-Location
            }

            $result | Should -HaveCount 1
            $result[0].FullName | Should -Be $bracketFile
        }

        It 'combines -LiteralPath with the other filters' {
            @(Get-Finding -Database $literalDb -LiteralPath $bracketFolder -Name 'x.txt').FullName | Should -Be @($deeper)
        }

        It 'rejects -Path and -LiteralPath together' {
            { Get-Finding -Database $literalDb -Path $plainFile -LiteralPath $bracketFile } |
                Should -Throw -ErrorId "AmbiguousParameterSet,$cmdlet"
        }

        It 'rejects an empty -LiteralPath as naming no file' {
            { Get-Finding -Database $literalDb -LiteralPath '' } | Should -Throw -ErrorId "InvalidFilter,$cmdlet"
        }
    }

    Context '-Name and -Extension' {
        It 'matches -Name wildcards ignoring case' {
            $result = @(Get-Finding -Database $db -Name 'BETA*')

            $result | Should -HaveCount 1
            $result[0].Name | Should -BeExactly 'Beta.TXT'
        }

        It 'matches a -Name extension pattern in any case' {
            $result = @(Get-Finding -Database $db -Name '*.txt')

            Join-Sorted $result.Name | Should -BeExactly 'Beta.TXT|alpha.txt|stale.txt'
        }

        It 'treats several -Name patterns as alternatives' {
            $result = @(Get-Finding -Database $db -Name 'alpha.txt', 'deep.log')

            Join-Sorted $result.Name | Should -BeExactly 'alpha.txt|deep.log'
        }

        It 'matches -Extension <Extension> with or without the dot and in any case' -ForEach @(
            @{ Extension = 'log' }
            @{ Extension = '.log' }
            @{ Extension = 'LOG' }
            @{ Extension = '.LOG' }
            @{ Extension = '*.log' }
            @{ Extension = '*.LOG' }
        ) {
            $result = @(Get-Finding -Database $db -Extension $Extension)

            Join-Sorted $result.Name | Should -BeExactly 'app.log|deep.log|old.LOG'
        }

        It 'treats several extensions as alternatives' {
            $result = @(Get-Finding -Database $db -Extension 'txt', 'bin')

            $result | Should -HaveCount 6
        }

        It 'refuses an -Extension pattern it cannot use (<Extension>) with InvalidFilter, saying to use -Name' -ForEach @(
            @{ Extension = '*.lo?' }
            @{ Extension = 'l*' }
            @{ Extension = '*' }
            @{ Extension = 'tar.gz' }
        ) {
            { Get-Finding -Database $db -Extension $Extension } | Should -Throw -ErrorId "InvalidFilter,$cmdlet"
            try { Get-Finding -Database $db -Extension $Extension } catch { $_.Exception.Message | Should -Match '-Name' }
        }

        It 'refuses filters no file name can match, with InvalidFilter (<Case>; they returned nothing without a word: newcomer test 73)' -ForEach @(
            @{ Case = "-Name 'odd/*.txt'"; Filter = @{ Name = 'odd/*.txt' }; Message = '*-Path*' }
            @{ Case = "-Extension '.'"; Filter = @{ Extension = '.' }; Message = "*dot alone*-Extension ''*" }
            @{ Case = "-Extension 'a/b'"; Filter = @{ Extension = 'a/b' }; Message = "*holds '/'*" }
        ) {
            { Get-Finding -Database $db @Filter } | Should -Throw -ErrorId "InvalidFilter,$cmdlet" -ExpectedMessage $Message
        }

        It 'completes -Extension with the catalog''s most common extensions, through TabExpansion2' {
            $line = "Get-Finding -Database '$db' -Extension "
            $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches

            $completions.CompletionText | Should -Contain 'log'
            $completions.CompletionText | Should -Contain 'txt'
            $completions[0].CompletionText | Should -BeIn 'log', 'txt', 'bin' -Because 'three files of each, the most common'
            ($completions | Where-Object CompletionText -EQ 'log').ToolTip | Should -Match '3 files'

            $line = "Get-Finding -Database '$db' -Extension *.l"
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('log')
        }

        It 'keeps spaces after an extension: only -Extension ".txt " selects "notes.txt "' {
            $tree = Join-Path $TestDrive 'trailing-space'
            New-Item -ItemType Directory -Path $tree | Out-Null
            Set-Content -LiteralPath (Join-Path $tree 'notes.txt ') -Value 'x'
            Set-Content -LiteralPath (Join-Path $tree 'plain.txt') -Value 'x'
            $spaceDb = Join-Path $TestDrive 'trailing-space.db'
            Start-Scan -Path $tree -Database $spaceDb | Out-Null

            (Get-Finding -Database $spaceDb -Extension '.txt ').Name | Should -BeExactly 'notes.txt '
            (Get-Finding -Database $spaceDb -Extension 'txt').Name | Should -BeExactly 'plain.txt'
            (Get-Finding -Database $spaceDb -Extension ' .txt').Name | Should -BeExactly 'plain.txt' -Because 'spaces before an extension are dropped'
        }

        It 'matches files without an extension with an empty -Extension' {
            $expected = @($allFiles | Where-Object { $_.Extension -eq '' })

            $result = @(Get-Finding -Database $db -Extension '')

            Join-Sorted $result.FullName | Should -Be (Join-Sorted $expected.FullName)
            $result.Name | Should -Contain 'readme'
        }
    }

    Context 'size and time' {
        It 'keeps files of at least -MinSize 1KB' {
            $result = @(Get-Finding -Database $db -MinSize 1KB)

            Join-Sorted $result.FullName | Should -Be (Join-Sorted @($allFiles | Where-Object Length -GE 1KB).FullName)
            Join-Sorted $result.Name | Should -BeExactly 'Beta.TXT|app.log'
        }

        It 'keeps files of at most -MaxSize 1KB' {
            $result = @(Get-Finding -Database $db -MaxSize 1KB)

            Join-Sorted $result.FullName | Should -Be (Join-Sorted @($allFiles | Where-Object Length -LE 1KB).FullName)
            $result | Should -HaveCount ($total - 2)
        }

        It 'includes both bounds of -MinSize and -MaxSize' {
            $result = @(Get-Finding -Database $db -MinSize 2000 -MaxSize 2000)

            $result | Should -HaveCount 1
            $result[0].FullName | Should -Be $beta
        }

        It 'keeps files written after -ModifiedAfter' {
            $result = @(Get-Finding -Database $db -ModifiedAfter ([datetime]::new(2010, 1, 1, 0, 0, 0, [DateTimeKind]::Utc)))

            $result | Should -HaveCount ($total - 1)
            $result.FullName | Should -Not -Contain $alpha
        }

        It 'keeps files written before -ModifiedBefore' {
            $result = @(Get-Finding -Database $db -ModifiedBefore ([datetime]::new(2010, 1, 1, 0, 0, 0, [DateTimeKind]::Utc)))

            $result | Should -HaveCount 1
            $result[0].FullName | Should -Be $alpha
        }

        It 'combines -ModifiedAfter and -ModifiedBefore into a window, local times included' {
            $after = [datetime]::new(2021, 1, 1, 0, 0, 0, [DateTimeKind]::Local)
            $before = [datetime]::new(2022, 1, 1, 0, 0, 0, [DateTimeKind]::Local)

            $result = @(Get-Finding -Database $db -ModifiedAfter $after -ModifiedBefore $before)

            $result | Should -HaveCount 1
            $result[0].FullName | Should -Be $beta
        }
    }

    Context '-Hash' {
        It 'finds every file with a given SHA-256' {
            $digest = (Get-FileHash -LiteralPath $dup1 -Algorithm SHA256).Hash

            $result = @(Get-Finding -Database $db -Hash $digest)

            Join-Sorted $result.FullName | Should -Be (Join-Sorted @($dup1, $dup2))
            @($result | Where-Object { $_.Sha256 -ne $digest }) | Should -BeNullOrEmpty
            @(Get-Finding -Database $db -Hash " $digest ").Count | Should -Be $result.Count -Because 'a digest copied with the blanks around it was InvalidFilter'
        }

        It 'accepts a lower-case digest and several digests' {
            $digests = @(
                (Get-FileHash -LiteralPath $dup1 -Algorithm SHA256).Hash.ToLowerInvariant()
                (Get-FileHash -LiteralPath $unique -Algorithm SHA256).Hash
            )

            $result = @(Get-Finding -Database $db -Hash $digests)

            Join-Sorted $result.FullName | Should -Be (Join-Sorted @($dup1, $dup2, $unique))
        }

        It 'rejects a value that is not a SHA-256 digest with InvalidFilter' {
            { Get-Finding -Database $db -Hash 'not-a-digest' } | Should -Throw -ErrorId "InvalidFilter,$cmdlet"
        }
    }

    Context '-First and -SortBy' {
        It 'returns exactly -First <Count> findings' -ForEach @(
            @{ Count = 1 }
            @{ Count = 3 }
        ) {
            @(Get-Finding -Database $db -First $Count) | Should -HaveCount $Count
        }

        It 'returns nothing with -First 0' {
            Get-Finding -Database $db -First 0 | Should -BeNullOrEmpty
        }

        It 'returns each file once when a folder and what it holds are piped (Get-ChildItem -Recurse)' {
            $piped = @(Get-ChildItem -LiteralPath $root -Recurse -Force | Get-Finding -Database $db)

            $piped | Should -HaveCount $total -Because 'a file came once for itself and once for each folder above it'
            Join-Sorted $piped.FullName | Should -Be (Join-Sorted $allFiles.FullName)
            # -First applies to each piped object (the largest files under each folder): a folder cut short by it does not
            # hide the files piped after it.
            $cut = @(@((Get-Item -LiteralPath $logs), (Get-Item -LiteralPath $deepLog)) | Get-Finding -Database $db -SortBy Size -Descending -First 1)
            $cut.FullName | Should -Be @($appLog, $deepLog)
            $whole = @(@((Get-Item -LiteralPath $logs), (Get-Item -LiteralPath $deepLog)) | Get-Finding -Database $db -First 5)
            $whole | Should -HaveCount 3 -Because 'logs holds three files, returned once, and deep.log adds none'
        }

        It 'returns all findings when -First is larger than the catalog' {
            @(Get-Finding -Database $db -First 1000) | Should -HaveCount $total
        }

        It 'orders by size, largest first, with -SortBy Size -Descending' {
            $result = @(Get-Finding -Database $db -SortBy Size -Descending)

            $result | Should -HaveCount $total
            # ForEach-Object, not $result.Length: an array's own Length is its element count.
            $lengths = @($result | ForEach-Object { $_.Length })
            ($lengths -join ',') | Should -Be (($lengths | Sort-Object -Descending) -join ',')
            $result[0].FullName | Should -Be $appLog
        }

        It 'orders by size, smallest first, with -SortBy Size' {
            $result = @(Get-Finding -Database $db -SortBy Size)

            $lengths = @($result | ForEach-Object { $_.Length })
            ($lengths -join ',') | Should -Be (($lengths | Sort-Object) -join ',')
            $result[0].FullName | Should -Be $hidden
        }

        It 'returns the largest file with -SortBy Size -Descending -First 1' {
            $result = @(Get-Finding -Database $db -SortBy Size -Descending -First 1)

            $result | Should -HaveCount 1
            $result[0].FullName | Should -Be $appLog
        }

        It 'orders by last write time with -SortBy Modified' {
            $result = @(Get-Finding -Database $db -SortBy Modified)

            $ticks = @($result | ForEach-Object { $_.LastWriteTimeUtc.Ticks })
            ($ticks -join ',') | Should -Be (($ticks | Sort-Object) -join ',')
            $result[0].FullName | Should -Be $alpha
        }

        It 'orders by name (ordinal) with -SortBy Name' {
            $result = @(Get-Finding -Database $db -SortBy Name)

            ($result.Name -join '|') | Should -BeExactly (Join-Sorted $result.Name)
        }

        It 'orders by path by default' {
            $result = @(Get-Finding -Database $db)
            $descending = @(Get-Finding -Database $db -SortBy Path -Descending)

            $result | Should -HaveCount $total
            ($descending.FullName -join '|') | Should -BeExactly (($result.FullName[($total - 1)..0]) -join '|')
        }
    }

    Context 'removed files and -ScanId' {
        BeforeAll {
            $stateRoot = Join-Path $trees 'state'
            $keep1 = New-TestFile -Path (Join-Path $stateRoot 'keep1.txt') -Content 'k1'
            $keep2 = New-TestFile -Path (Join-Path $stateRoot 'sub' 'keep2.txt') -Content 'k2'
            $gone = New-TestFile -Path (Join-Path $stateRoot 'gone.txt') -Content 'gone'
            $stateDb = New-CatalogPath -Directory $catalogs
            $firstRun = Start-Scan -Path $stateRoot -Database $stateDb
            Remove-Item -LiteralPath $gone
            $secondRun = Start-Scan -Path $stateRoot -Database $stateDb
        }

        It 'leaves removed files out by default' {
            $result = @(Get-Finding -Database $stateDb)

            Join-Sorted $result.FullName | Should -Be (Join-Sorted @($keep1, $keep2))
        }

        It 'returns only removed files with -Removed' {
            $result = @(Get-Finding -Database $stateDb -Removed)

            $result | Should -HaveCount 1
            $result[0].FullName | Should -Be $gone
            $result[0].Removed | Should -BeTrue
            $result[0].RemovedScanId | Should -Be $secondRun.Id
            $result[0].FirstScanId | Should -Be $firstRun.Id
        }

        It 'returns present and removed files with -IncludeRemoved' {
            $result = @(Get-Finding -Database $stateDb -IncludeRemoved)

            Join-Sorted $result.FullName | Should -Be (Join-Sorted @($keep1, $keep2, $gone))
        }

        It 'returns the files a run found gone with -Removed -ScanId' {
            @(Get-Finding -Database $stateDb -Removed -ScanId $secondRun.Id).FullName | Should -Be @($gone)
            Get-Finding -Database $stateDb -Removed -ScanId $firstRun.Id | Should -BeNullOrEmpty
        }

        It 'returns the present files a run last saw with -ScanId' {
            Join-Sorted @(Get-Finding -Database $stateDb -ScanId $secondRun.Id).FullName | Should -Be (Join-Sorted @($keep1, $keep2))
            Get-Finding -Database $stateDb -ScanId $firstRun.Id | Should -BeNullOrEmpty
        }

        It 'rejects -Removed with -IncludeRemoved as ConflictingStateFilters' {
            { Get-Finding -Database $stateDb -Removed -IncludeRemoved } |
                Should -Throw -ErrorId "ConflictingStateFilters,$cmdlet"
        }
    }

    Context 'two runs of different folders in one catalog' {
        BeforeAll {
            $pairRoot = Join-Path $trees 'pair'
            $folderA = Join-Path $pairRoot 'a'
            $folderB = Join-Path $pairRoot 'b'
            $null = New-TestTree -Path $folderA -Folders 1 -FilesPerFolder 2
            $null = New-TestTree -Path $folderB -Folders 2 -FilesPerFolder 1
            $pairDb = New-CatalogPath -Directory $catalogs
            $runA = Start-Scan -Path $folderA -Database $pairDb
            $runB = Start-Scan -Path $folderB -Database $pairDb
        }

        It 'returns the files of one run with -ScanId' {
            Join-Sorted @(Get-Finding -Database $pairDb -ScanId $runA.Id).FullName |
                Should -Be (Join-Sorted @(Get-ChildItem -LiteralPath $folderA -Recurse -File -Force).FullName)
            Join-Sorted @(Get-Finding -Database $pairDb -ScanId $runB.Id).FullName |
                Should -Be (Join-Sorted @(Get-ChildItem -LiteralPath $folderB -Recurse -File -Force).FullName)
        }

        It 'binds ScanId by property name from Get-ScanRun -Last 1' {
            $result = @(Get-ScanRun -Database $pairDb -Last 1 | Get-Finding -Database $pairDb)

            Join-Sorted $result.FullName | Should -Be (Join-Sorted @(Get-ChildItem -LiteralPath $folderB -Recurse -File -Force).FullName)
        }

        It 'binds ScanId from a run returned by Start-Scan' {
            $result = @($runA | Get-Finding -Database $pairDb)

            $result | Should -HaveCount (Get-TestFileCount -LiteralPath $folderA)
        }

        It 'reports a run id the catalog does not have as the non-terminating error InvalidFilter, as Get-ScanChange does' {
            $missing = (Get-ScanRun -Database $pairDb -Last 1).Id + 1   # after the newest run: not in the catalog
            $result = @(Get-Finding -Database $pairDb -ScanId $missing -ErrorVariable errs -ErrorAction SilentlyContinue)

            $result | Should -BeNullOrEmpty
            $errs | Should -HaveCount 1
            $errs[0].FullyQualifiedErrorId | Should -Be "InvalidFilter,$cmdlet"
            $errs[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
            $errs[0].TargetObject | Should -Be $missing
            $errs[0].Exception.ExitCode | Should -Be ([ScanTools.Hosting.ScanExitCode]::BadArguments)
            $change = { Get-ScanChange -Database $pairDb -ScanId $missing -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidFilter,*' -PassThru
            $errs[0].Exception.Message | Should -Be $change.Exception.Message
        }

        It 'goes on with the next piped run after a run id the catalog does not have' {
            $missing = [pscustomobject]@{ ScanId = (Get-ScanRun -Database $pairDb -Last 1).Id + 1 }
            $result = @($missing, $runA | Get-Finding -Database $pairDb -ErrorVariable errs -ErrorAction SilentlyContinue)

            $errs | Should -HaveCount 1
            Join-Sorted $result.FullName | Should -Be (Join-Sorted @(Get-ChildItem -LiteralPath $folderA -Recurse -File -Force).FullName)
        }
    }

    Context 'errors' {
        It 'refuses a run piped from another catalog than -Database, and still takes piped files there' {
            $other = New-CatalogPath -Directory $catalogs
            $null = Start-Scan -Path $docs -Database $other
            $run = Get-ScanRun -Database $other -Last 1
            @($run | Get-Finding -Database $db -ErrorVariable foreign -ErrorAction SilentlyContinue) | Should -BeNullOrEmpty -Because 'the run id named another run of -Database'
            $foreign[0].FullyQualifiedErrorId | Should -Be "ObjectFromOtherCatalog,$cmdlet"
            "$($foreign[0])" | Should -BeLike "*comes from the catalog '$other'*Leave out -Database*"
            @($run | Get-Finding).Count | Should -BeGreaterThan 0
            if (-not $IsWindows) {
                $link = Join-Path $catalogs 'link-to-other.db'
                $null = New-Item -ItemType SymbolicLink -Path $link -Target $other
                @($run | Get-Finding -Database $link -ErrorVariable throughLink).Count | Should -Be @($run | Get-Finding).Count
                $throughLink | Should -BeNullOrEmpty -Because 'a link to the same catalog is the same catalog'
            }
            @(Get-Finding -Database $other -LiteralPath $alpha | Get-Finding -Database $db).FullName | Should -Be @($alpha) -Because 'a path can be asked of any catalog'
        }

        It 'finds a file made where a folder of the same path was deleted, by its path and piped from Get-Item' {
            $swapRoot = New-TestDirectory -Parent $catalogs -Name 'swap-tree'
            $null = New-TestFile -Path (Join-Path $swapRoot 'sw/in.txt') -Content 'in'
            $swapDb = New-CatalogPath -Directory $catalogs
            $null = Start-Scan -Path $swapRoot -Database $swapDb
            Remove-Item -LiteralPath (Join-Path $swapRoot 'sw') -Recurse
            $swap = New-TestFile -Path (Join-Path $swapRoot 'sw') -Content 'swap'
            $null = Start-Scan -Path $swapRoot -Database $swapDb

            @(Get-Finding -Database $swapDb -LiteralPath $swap).FullName | Should -Be @($swap) -Because 'the removed folder of that path hid the present file'
            @(Get-Item -LiteralPath $swap | Get-Finding -Database $swapDb).FullName | Should -Be @($swap)
            Join-Sorted @(Get-ScanChange -Database $swapDb -LiteralPath $swap | ForEach-Object { "$($_.ChangeType) $($_.Name)" }) | Should -Be (Join-Sorted 'Added sw', 'Removed in.txt')
            @(Get-Finding -Database $swapDb -Removed -LiteralPath $swap).Name | Should -Be @('in.txt') -Because 'what the folder held is asked by its path too'
        }

        It 'takes a run piped with -Database naming a backup of its catalog, which holds the same run' {
            $original = New-CatalogPath -Directory $catalogs
            $null = Start-Scan -Path $docs -Database $original
            $copy = New-CatalogPath -Directory $catalogs
            $null = Backup-ScanCatalog -Database $original -Destination $copy
            $run = Get-ScanRun -Database $original -Last 1

            $fromCopy = @($run | Get-Finding -Database $copy -ErrorVariable refused)

            $refused | Should -BeNullOrEmpty -Because 'the backup holds the same run: the same id and RunKey'
            Join-Sorted $fromCopy.FullName | Should -Be (Join-Sorted @($run | Get-Finding).FullName)
            $fromCopy.Count | Should -BeGreaterThan 0
            $matched = @($run | Get-FindingMatch -Database $copy -ErrorVariable refusedMatches)
            $refusedMatches | Should -BeNullOrEmpty
            $matched.Count | Should -Be @($run | Get-FindingMatch).Count
        }

        It 'warns of a typed path no scan has recorded, and not of a known path with nothing left to list' {
            $typo = Join-Path $root 'no-such-folder'

            $result = @(Get-Finding -Database $db -Path $typo -WarningVariable unknown -WarningAction SilentlyContinue)

            $result | Should -BeNullOrEmpty
            "$unknown" | Should -BeLike "*holds no file or folder '$typo'*Start-Scan*" -Because 'a mistyped -Path returned nothing, as if nothing were there'
            $null = @(Get-Finding -Database $db -LiteralPath $alpha -MinSize 1TB -WarningVariable known -WarningAction SilentlyContinue)
            $known | Should -BeNullOrEmpty -Because 'the path is in the catalog; the other filter left nothing'
        }

        It 'reports a missing catalog as CatalogNotFound and does not create it' {
            $missing = New-CatalogPath -Directory $catalogs

            { Get-Finding -Database $missing } | Should -Throw -ErrorId "CatalogNotFound,$cmdlet"

            Test-Path -LiteralPath $missing | Should -BeFalse
        }

        It 'reports a file that is not a catalog as CatalogNotACatalog' {
            $notCatalog = New-CatalogPath -Directory $catalogs
            [IO.File]::WriteAllText($notCatalog, 'plain text')

            { Get-Finding -Database $notCatalog } | Should -Throw -ErrorId "CatalogNotACatalog,$cmdlet"

            [IO.File]::ReadAllText($notCatalog) | Should -BeExactly 'plain text'
        }

        It 'rejects -MinSize larger than -MaxSize with InvalidFilter' {
            { Get-Finding -Database $db -MinSize 10 -MaxSize 1 } | Should -Throw -ErrorId "InvalidFilter,$cmdlet"
        }

        It 'rejects -ModifiedAfter that is not earlier than -ModifiedBefore with InvalidFilter, saying to swap them' {
            { Get-Finding -Database $db -ModifiedAfter '2025-01-01' -ModifiedBefore '2024-01-01' } |
                Should -Throw -ErrorId "InvalidFilter,$cmdlet" -ExpectedMessage '*Swap them*'
        }

        It 'rejects equal -ModifiedAfter and -ModifiedBefore without telling to swap them (newcomer test 66)' {
            $err = { Get-Finding -Database $db -ModifiedAfter '2024-01-01' -ModifiedBefore '2024-01-01' } | Should -Throw -ErrorId "InvalidFilter,$cmdlet" -PassThru
            $err.Exception.Message | Should -BeLike '*same time*later ModifiedBefore*'
            $err.Exception.Message | Should -Not -BeLike '*Swap*'
        }

        It 'rejects a malformed -Name wildcard with InvalidFilter, in a message without .NET parameter noise' {
            $err = { Get-Finding -Database $db -Name 'a[' } | Should -Throw -ErrorId "InvalidFilter,$cmdlet" -PassThru
            $err.Exception.Message | Should -BeLike "*without a closing ']'*"
            $err.Exception.Message | Should -Not -BeLike '*(Parameter*'
        }

        It 'rejects a negative -First by validation' {
            { Get-Finding -Database $db -First -1 } | Should -Throw -ErrorId "ParameterArgumentValidationError,$cmdlet"
        }
    }

    Context 'piping findings to other commands' {
        It 'binds findings to Remove-Item by PSPath (-WhatIf removes nothing)' {
            $targets = @(Get-Finding -Database $db -Path $docs)
            $targets | Should -HaveCount 3

            { $targets | Remove-Item -WhatIf -ErrorAction Stop } | Should -Not -Throw

            foreach ($t in $targets) {
                Test-Path -LiteralPath $t.FullName | Should -BeTrue
            }
        }

        It 'binds findings to Copy-Item by PSPath' {
            $destination = New-TestDirectory -Parent $trees

            Get-Finding -Database $db -Path $bins | Copy-Item -Destination $destination -ErrorAction Stop

            Join-Sorted @(Get-ChildItem -LiteralPath $destination -File).Name | Should -BeExactly 'dup1.bin|dup2.bin|unique.bin'
        }

        It 'exports rows with FullName and Length columns through Export-Csv' {
            $csv = Join-Path (New-TestDirectory -Parent $trees) 'findings.csv'

            Get-Finding -Database $db | Export-Csv -LiteralPath $csv -NoTypeInformation

            $rows = @(Import-Csv -LiteralPath $csv)
            $rows | Should -HaveCount $total
            $rows[0].PSObject.Properties.Name | Should -Contain 'FullName'
            $rows[0].PSObject.Properties.Name | Should -Contain 'Length'
            foreach ($row in $rows) {
                $row.Length | Should -Be ([string](Get-Item -LiteralPath $row.FullName -Force).Length) -Because $row.FullName
            }
        }
    }
}
