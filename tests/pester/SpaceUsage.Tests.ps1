# Measure-ScanFolder, Measure-ScanFile and Export-ScanReport, as a user calls them; the report rendered in headless Chromium.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ScanToolsTestModulePath) -Force
    $catalogs = Join-Path $TestDrive 'catalogs'
    $null = New-Item -ItemType Directory -Path $catalogs -Force

    # big/ holds 3 files of 40,000 bytes, small/ 2 of 1,000, small/deeper/ 1 of 500; top.txt 10 bytes; big/b2 is also
    # hard-linked into small/ (counted once).
    function New-SpaceTree([string] $Root) {
        $null = New-Item -ItemType Directory -Path (Join-Path $Root 'big'), (Join-Path $Root 'small/deeper') -Force
        foreach ($i in 1..3) { $null = New-TestFile -Path (Join-Path $Root "big/b$i.bin") -Size 40000 }
        foreach ($i in 1..2) { $null = New-TestFile -Path (Join-Path $Root "small/s$i.txt") -Size 1000 }
        $null = New-TestFile -Path (Join-Path $Root 'small/deeper/d1.log') -Size 500
        $null = New-TestFile -Path (Join-Path $Root 'top.txt') -Size 10
        if (-not $IsWindows) { ln (Join-Path $Root 'big/b2.bin') (Join-Path $Root 'small/b2-link.bin') }
    }

    $root = Join-Path $TestDrive 'space'
    New-SpaceTree $root
    $db = New-CatalogPath -Directory $catalogs
    $firstRun = Start-Scan -Path $root -Database $db
}

Describe 'Measure-ScanFolder' {
    It 'returns the folder and its subfolders, largest first, with totals that count a hard-linked file once' {
        $sizes = @(Measure-ScanFolder -Database $db -Path $root)
        $sizes | Should -HaveCount 3
        $sizes[0] | Should -BeOfType ScanTools.Storage.FolderSize
        $sizes[0].FullName | Should -Be (Get-RealPath $root)
        $sizes[0].Bytes | Should -Be (120000 + 2000 + 500 + 10)
        $sizes[0].Files | Should -Be 7
        $sizes[0].Folders | Should -Be 3
        $sizes[0].PercentOfParent | Should -Be 100
        $sizes[1].Name | Should -Be 'big'
        $sizes[1].Depth | Should -Be 1
        $sizes[2].Name | Should -Be 'small'
        $sizes[2].Bytes | Should -Be 2500   # the link to big/b2.bin counts in big
        $sizes[1].PercentOfParent | Should -Be ([math]::Round(100 * 120000 / 122510, 1))
    }

    It 'matches du -sb --apparent-size, less the folders'' own entries' -Skip:$IsWindows {
        $du = [long]((du -sb --apparent-size $root) -split "`t")[0]
        $dirs = (find $root -type d -printf '%s\n' | Measure-Object -Sum).Sum
        (Measure-ScanFolder -Database $db -Path $root -Depth 0).Bytes | Should -Be ($du - $dirs)
    }

    It 'defaults to the scanned folder, takes piped folders and relative paths, and goes as deep as asked' {
        (Measure-ScanFolder -Database $db -Depth 0).FullName | Should -Be (Get-RealPath $root)
        # Measured alone, small/ counts the hard link to big/b2.bin, as du -sb small/ does.
        @(Get-Item -LiteralPath (Join-Path $root 'small') | Measure-ScanFolder -Database $db -Depth 0).Bytes | Should -Be 42500
        Push-Location $root
        try { (Measure-ScanFolder -Database $db -Path ./small -Depth 0).Bytes | Should -Be 42500 } finally { Pop-Location }
        @(Measure-ScanFolder -Database $db -Path $root -Depth 5) | Should -HaveCount 4
    }

    It 'names each folder exactly to a piped Remove-Item, brackets included, and gives none for a name with * (its Path bound -Path, a wildcard: newcomer test 79)' {
        $tree = Join-Path $TestDrive 'wild-folders'
        $null = New-Item -ItemType Directory -Path (Join-Path $tree 'logs1'), (Join-Path $tree 'oldimportant') -Force
        $null = [IO.Directory]::CreateDirectory((Join-Path $tree 'logs[1]'))
        $null = [IO.Directory]::CreateDirectory((Join-Path $tree 'old*'))
        $null = New-TestFile -Path (Join-Path $tree 'logs1/important.db') -Content 'keep'
        $null = New-TestFile -Path (Join-Path $tree 'oldimportant/precious') -Content 'keep'
        $wdb = New-CatalogPath -Directory $catalogs
        $null = Start-Scan -LiteralPath $tree -Database $wdb

        $empty = @(Measure-ScanFolder -Database $wdb -LiteralPath $tree -Depth 1 | Where-Object { $_.Depth -eq 1 -and $_.Files -eq 0 })
        Join-Sorted $empty.Name | Should -Be (Join-Sorted @('logs[1]', 'old*'))
        ($empty | Where-Object Name -EQ 'logs[1]').PSPath | Should -Be (Join-Path $tree 'logs[1]')
        # pwsh's Remove-Item -LiteralPath -Recurse reads a folder's own '*' or '?' as a wildcard and removed oldimportant:
        # such a folder has no PSPath, so Remove-Item refuses it.
        ($empty | Where-Object Name -EQ 'old*').PSPath | Should -BeNullOrEmpty
        $empty | Remove-Item -Recurse -ErrorAction SilentlyContinue -ErrorVariable refused
        @($refused) | Should -HaveCount 1
        Get-Content -LiteralPath (Join-Path $tree 'logs1/important.db') | Should -Be 'keep'
        Get-Content -LiteralPath (Join-Path $tree 'oldimportant/precious') | Should -Be 'keep'
        Test-Path -LiteralPath (Join-Path $tree 'logs[1]') | Should -BeFalse
        Test-Path -LiteralPath (Join-Path $tree 'old*') | Should -BeTrue
    }

    It 'gives Measure-ScanFile groups a text that is no path, so Remove-Item removes nothing in the current folder (./2026 was removed: newcomer test 81)' {
        $here = Join-Path $TestDrive 'cwd-groups'
        $null = New-Item -ItemType Directory -Path (Join-Path $here ([datetime]::UtcNow.Year)) -Force
        Push-Location -LiteralPath $here
        try {
            $groups = @(Measure-ScanFile Year -Database $db)
            "$($groups[0])" | Should -BeLike "Year $([datetime]::UtcNow.Year): * files, *"
            $groups | Remove-Item -Recurse -ErrorAction SilentlyContinue
            Test-Path -LiteralPath (Join-Path $here ([datetime]::UtcNow.Year)) | Should -BeTrue
        }
        finally {
            Pop-Location
        }
    }

    It 'shows a table with sizes, shares and bars' {
        $text = Measure-ScanFolder -Database $db -Path $root | Out-String -Width 200
        $text | Should -Match '120 KB'
        $text | Should -Match ([char]0x2588)
        $text | Should -Match '  big'
    }

    It 'shows a -Top list by full paths, not as a tree (its rows are ranked, not nested)' {
        $real = Get-RealPath $root
        $ranked = @(Measure-ScanFolder -Database $db -Path $root -Depth 1 -Top 2)
        $ranked | Should -HaveCount 2
        $ranked[0] | Should -BeOfType ScanTools.Storage.FolderSize
        $lines = @((Measure-ScanFolder -Database $db -Path $root -Depth 1 -Top 2 | Out-String -Width 200) -split '\r?\n' | Where-Object { $_ -match '%' })
        $lines | Should -HaveCount 2
        $lines[0] | Should -Match "\s$([regex]::Escape((Join-Path $real 'big')))\s*$"
        $lines[1] | Should -Match "\s$([regex]::Escape((Join-Path $real 'small')))\s*$"
        (Measure-ScanFolder -Database $db -Path $root -Depth 1 -Top 2 | Out-String -Width 200) | Should -Match 'OfParent'
        (Measure-ScanFolder -Database $db -Path $root -Depth 1 | Out-String -Width 200) | Should -Match '(?m)  big\s*$' -Because 'the tree still indents names'
    }

    It 'leaves the folder most of 80 columns, with a Growth column only when -ComparedTo gives one' {
        foreach ($view in @(@{ Top = 2 }, @{})) {
            $text = Measure-ScanFolder -Database $db -Path $root -Depth 1 @view | Out-String -Width 80
            $header = @($text -split '\r?\n' | Where-Object { $_ -match 'Folder' })[0]
            $header.IndexOf('Folder') | Should -BeLessOrEqual 52 -Because 'the folder column had 7 of 80 characters'
            $header | Should -Not -Match 'Growth'
        }
        $compared = Measure-ScanFolder -Database $db -Path $root -Depth 1 -Top 2 -ComparedTo $firstRun.Id | Out-String -Width 80
        @($compared -split '\r?\n' | Where-Object { $_ -match 'Folder' })[0] | Should -Match 'Growth'
    }

    It 'measures as of a past run, and growth since it' {
        $null = New-TestFile -Path (Join-Path $root 'small/new.bin') -Size 7000
        $null = Start-Scan -Path $root -Database $db
        try {
            (Measure-ScanFolder -Database $db -Path $root -Depth 0 -ScanId $firstRun.Id).Bytes | Should -Be 122510
            $growth = @(Measure-ScanFolder -Database $db -Path $root -ComparedTo $firstRun.Id -SortBy Growth -Top 1)
            $growth[0].Name | Should -Be 'small'
            $growth[0].GrowthBytes | Should -Be 7000
            (Measure-ScanFolder -Database $db -Path $root -ComparedTo $firstRun.Id | Out-String -Width 200) | Should -Match '\+6\.8 KB'
        }
        finally {
            Remove-Item -LiteralPath (Join-Path $root 'small/new.bin')
            $null = Start-Scan -Path $root -Database $db
        }
    }

    It 'measures as of each piped run, as -ScanId does (a piped run was ignored: newcomer test 73)' {
        $tree = Join-Path $TestDrive 'piped-runs'
        $null = New-TestFile -Path (Join-Path $tree 'a/one.txt') -Size 100
        $null = New-TestFile -Path (Join-Path $tree 'a/two.log') -Size 300
        $pdb = New-CatalogPath -Directory $catalogs
        $first = Start-Scan -Path $tree -Database $pdb
        Remove-Item -LiteralPath (Join-Path $tree 'a/two.log')
        $second = Start-Scan -Path $tree -Database $pdb

        $asOfFirst = @($first | Measure-ScanFolder -Path $tree -Depth 0)
        $asOfFirst.Bytes | Should -Be 400
        $asOfFirst.ScanId | Should -Be $first.Id
        $byRun = @(Get-ScanRun -Database $pdb | Measure-ScanFile Extension)
        ($byRun | Where-Object ScanId -eq $first.Id | Sort-Object Key).Key | Should -Be @('.log', '.txt')
        ($byRun | Where-Object ScanId -eq $second.Id).Key | Should -Be @('.txt')
        ($tree | Measure-ScanFolder -Database $pdb -Depth 0).Bytes | Should -Be 100 -Because 'a piped string is a folder'
        { $first | Measure-ScanFolder -ScanId $second.Id } | Should -Throw -ErrorId 'InvalidFilter*' -ExpectedMessage '*piped*-ScanId*not both*'
        $other = New-CatalogPath -Directory $catalogs
        $null = Start-Scan -Path $tree -Database $other
        @(Get-ScanRun -Database $other | Measure-ScanFile Extension -Database $pdb -ErrorVariable foreign -ErrorAction SilentlyContinue) | Should -BeNullOrEmpty
        $foreign[0].FullyQualifiedErrorId | Should -BeLike 'ObjectFromOtherCatalog*'
    }

    It 'reports each path it cannot measure and measures the others; warns about a folder above the scanned one' {
        $sizes = @(Measure-ScanFolder -Database $db -Path (Join-Path $root 'big'), (Join-Path $TestDrive 'nowhere'), (Join-Path $root 'small') -Depth 0 -ErrorVariable errs -ErrorAction SilentlyContinue)
        $sizes.Name | Should -Be @((Get-RealPath (Join-Path $root 'big')), (Get-RealPath (Join-Path $root 'small')))
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'InvalidFilter*'
        $fromItems = @(Get-ChildItem -LiteralPath $root | Measure-ScanFolder -Database $db -Depth 0 -ErrorVariable itemErrs -ErrorAction SilentlyContinue)
        $fromItems.Count | Should -BeGreaterOrEqual 2            # the folders
        ($itemErrs | ForEach-Object { $_.Exception.Message }) -join "`n" | Should -Match 'is a file, not a folder'   # top.txt
        $file = (Get-ChildItem -LiteralPath $root -File | Select-Object -First 1).FullName
        Measure-ScanFile -Database $db -Path $file -ErrorVariable fileErrs -ErrorAction SilentlyContinue
        "$fileErrs" | Should -BeLike '*is a file, not a folder*Get-Finding -LiteralPath*'
        "$fileErrs" | Should -Not -BeLike '*Measure-ScanFolder*' -Because 'the message is Measure-ScanFile''s too'
        Measure-ScanFile -Database $db -Path (Join-Path $TestDrive 'nowhere') -ErrorVariable noneErrs -ErrorAction SilentlyContinue
        "$noneErrs" | Should -BeLike '*holds no folder*leave -Path out for the whole catalog*' -Because 'without -Path Measure-ScanFile measures the whole catalog (newcomer test 66)'
        Measure-ScanFolder -Database $db -Path (Join-Path $TestDrive 'nowhere') -ErrorVariable folderErrs -ErrorAction SilentlyContinue
        "$folderErrs" | Should -BeLike '*leave -Path out for every top folder*'
        $above = Measure-ScanFolder -Database $db -Path $TestDrive -Depth 0 -WarningVariable warnings -WarningAction SilentlyContinue
        $above.Bytes | Should -BeGreaterThan 0
        "$warnings" | Should -Match 'lies above the folders scans started at'
    }

    It 'warns that its totals leave out a folder whose name is not UTF-8, and names the folder''s bytes' -Skip:(-not $IsLinux) {
        $latin = Join-Path $TestDrive 'latin1'
        $null = New-Item -ItemType Directory -Path (Join-Path $latin 'ok')
        $null = New-TestFile -Path (Join-Path $latin 'ok/a.txt') -Size 10
        sh -c 'mkdir "$1/$(printf ''Caf\351'')" && head -c 5000 /dev/zero > "$1/$(printf ''Caf\351'')/huge.bin"' sh $latin
        $latinFile = Join-Path $TestDrive 'latin1-file'
        $null = New-Item -ItemType Directory -Path $latinFile
        sh -c 'head -c 700 /dev/zero > "$1/$(printf ''r\351sum\351.txt'')"' sh $latinFile
        try {
            $latinDb = New-CatalogPath -Directory $catalogs
            $run = Start-Scan -Path $latin -Database $latinDb -ErrorAction SilentlyContinue
            $errorItem = @(Get-ScanError -Database $latinDb -ScanId $run.Id)
            $errorItem.Kind | Should -Be @('InvalidName')
            $errorItem[0].FullName | Should -Be ((Get-RealPath $latin) + '/Caf\xE9') -Because 'U+FFFD hid which byte it was, and two such names looked alike'
            "$($errorItem[0].Message)" | Should -BeLike "The folder's name is not valid UTF-8*nothing in it is recorded*"

            $sizes = @(Measure-ScanFolder -Database $latinDb -Path $latin -Depth 0 -WarningVariable warned -WarningAction SilentlyContinue)
            $sizes[0].Bytes | Should -Be 10
            "$warned" | Should -BeLike "*Run $($run.Id) could not record 1 entry here*not valid UTF-8*it is a folder, not read, so these totals leave out all it holds*Get-ScanError -ScanId $($run.Id) -Kind InvalidName*"

            # A file with such a name is one entry left out, not a folder: the words said a folder was lost.
            $fileDb = New-CatalogPath -Directory $catalogs
            $fileRun = Start-Scan -Path $latinFile -Database $fileDb -ErrorAction SilentlyContinue
            "$((Get-ScanError -Database $fileDb -ScanId $fileRun.Id)[0].Message)" | Should -BeLike "The name is not valid UTF-8*the entry is not recorded*"
            $null = Measure-ScanFolder -Database $fileDb -Path $latinFile -Depth 0 -WarningVariable fileOnly -WarningAction SilentlyContinue
            "$fileOnly" | Should -BeLike '*could not record 1 entry here*these totals leave them out*'
            "$fileOnly" | Should -Not -BeLike '*folder*not read*'
            $null = Measure-ScanFile -Database $latinDb -WarningVariable fileWarned -WarningAction SilentlyContinue
            "$fileWarned" | Should -BeLike '*could not record 1 entry*'
            $null = Measure-ScanFolder -Database $latinDb -Path (Join-Path $latin 'ok') -WarningVariable elsewhere -WarningAction SilentlyContinue
            $elsewhere | Should -BeNullOrEmpty -Because 'the folder with the bad name is not under ok/'
        }
        finally {
            rm -rf $latin $latinFile
        }
    }

    It 'takes a folder with brackets as written, and as PowerShell escapes it (`[ `])' {
        $bracketed = Join-Path $TestDrive 'weird [dir]'
        $null = New-TestFile -Path (Join-Path $bracketed 'f.bin') -Size 300
        $bdb = New-CatalogPath -Directory $catalogs
        $null = Start-Scan -LiteralPath $bracketed -Database $bdb

        (Measure-ScanFolder -Database $bdb -Path $bracketed -Depth 0).Bytes | Should -Be 300
        (Measure-ScanFolder -Database $bdb -Path ([WildcardPattern]::Escape($bracketed)) -Depth 0).Bytes | Should -Be 300 -Because 'the escaped form was InvalidFilter: no folder'
        { Measure-ScanFolder -Database $bdb -Path (Join-Path $TestDrive 'weird `[nope`]') -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidFilter*'
    }

    It 'refuses a folder the catalog does not hold, a run it does not have, and growth without a run to compare' {
        { Measure-ScanFolder -Database $db -Path (Join-Path $TestDrive 'nowhere') -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidFilter*'
        { Measure-ScanFolder -Database $db -ScanId 999 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidFilter*'
        { Measure-ScanFolder -Database $db -SortBy Growth -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidFilter*'
        { Measure-ScanFolder -Database $db -ScanId 1 -ComparedTo 2 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidFilter*' -ExpectedMessage '*-ComparedTo (2) must be an earlier run than -ScanId (1)*'
        { Measure-ScanFolder -Database $db -ScanId 2 -ComparedTo 2 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidFilter*'
        { Measure-ScanFolder -Database $db -Depth -1 -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        { Measure-ScanFolder -Database (Join-Path $TestDrive 'none.db') -ErrorAction Stop } | Should -Throw -ErrorId 'Catalog*'
    }
}

Describe 'Measure-ScanFile' {
    It 'totals by extension, largest first, case ignored' {
        $groups = @(Measure-ScanFile -Database $db)
        $groups[0] | Should -BeOfType ScanTools.Storage.FileGroupSize
        $groups[0].Key | Should -Be '.bin'
        $groups[0].Bytes | Should -Be 120000
        ($groups | Measure-Object Bytes -Sum).Sum | Should -Be 122510
        ($groups | Measure-Object Percent -Sum).Sum | Should -BeGreaterThan 99.8
        @(Measure-ScanFile -Database $db -Top 2) | Should -HaveCount 2
    }

    It 'quotes an extension with blanks around it, so it does not look like a second group of the same one' {
        $spaced = Join-Path $TestDrive 'spaced-ext'
        $null = New-TestFile -Path (Join-Path $spaced 'a.txt') -Content 'a'
        $null = New-TestFile -Path (Join-Path $spaced 'notes.txt ') -Content 'b'
        $spacedDb = New-CatalogPath -Directory $catalogs
        $null = Start-Scan -Path $spaced -Database $spacedDb
        $text = Measure-ScanFile -Database $spacedDb | Out-String -Width 120
        $text | Should -Match "'\.txt '"
        $text | Should -Match '(?m)\s\.txt\s*$'
    }

    It 'totals by owner and by year, under a folder' {
        $owner = @(Measure-ScanFile Owner -Database $db -Path (Join-Path $root 'small'))
        $owner | Should -HaveCount 1
        $owner[0].Key | Should -Be ([Environment]::UserName)
        $owner[0].Bytes | Should -Be 42500
        (Measure-ScanFile Year -Database $db).Key | Should -Be ([datetime]::UtcNow.Year.ToString())
    }

    It 'shows a year''s newest date in UTC, as the years are counted, in a time zone where the local date differs (newcomer test 66)' -Skip:(-not $IsLinux) {
        $noon = Join-Path $TestDrive 'kiritimati'
        $file = New-TestFile -Path (Join-Path $noon 'a.txt') -Content 'a'
        (Get-Item -LiteralPath $file).LastWriteTimeUtc = [datetime]::new(2019, 12, 31, 12, 0, 0, [DateTimeKind]::Utc)
        $yearDb = New-CatalogPath -Directory $catalogs
        $null = Start-Scan -Path $noon -Database $yearDb
        $script = "Import-Module '$(Get-ScanToolsTestModulePath)'; Measure-ScanFile Year -Database '$yearDb' | Out-String -Width 120; Measure-ScanFile Extension -Database '$yearDb' | Out-String -Width 120"
        $saved = $env:TZ
        try {
            $env:TZ = 'Pacific/Kiritimati' # UTC+14: the file's local date is 2020-01-01
            $text = & (Get-PwshPath) -NoProfile -NonInteractive -Command $script | Out-String
        }
        finally {
            $env:TZ = $saved
        }
        $text | Should -Match '(?m)2019-12-31\s+2019\s*$'
        $text | Should -Match '(?m)2020-01-01\s+\.txt\s*$' -Because 'other groupings show local dates'
    }
}

Describe 'Export-ScanReport' {
    BeforeAll {
        $reports = Join-Path $TestDrive 'reports'
        $null = New-Item -ItemType Directory -Path $reports -Force
        # A folder "<" holding "script>..." makes a path that reads "</script>...": it must stay text.
        $null = New-Item -ItemType Directory -Path (Join-Path $root '<' 'script><img src=x onerror=alert(1)>') -Force
        $null = New-TestFile -Path (Join-Path $root '<' 'script><img src=x onerror=alert(1)>' '"quoted" & <b>.txt') -Size 30
        if (-not $IsWindows) { $null = New-TestFile -Path (Join-Path $root "new`nline.txt") -Size 3 }   # a name that would fake a line
        $null = Start-Scan -Path $root -Database $db
        $report = Join-Path $reports 'report.html'
        $file = Export-ScanReport -Database $db -Path $report -Title 'Pester report' -PassThru
        $file.PSPath | Should -Be (Get-Item -LiteralPath $report).PSPath -Because 'it is the file as Get-Item gives it, shown as Get-ChildItem shows it'
        $chromium = (Get-Command chromium, chromium-browser, google-chrome -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1).Source
        $profileDir = Join-Path $TestDrive 'chromium-profile'
        function Invoke-Chromium([string[]] $Arguments) {
            & $chromium --headless --no-sandbox --disable-gpu --no-first-run "--user-data-dir=$profileDir" @Arguments 2>$null
        }
    }

    It 'writes one self-contained page and returns its file' {
        $file | Should -BeOfType System.IO.FileInfo
        $file.FullName | Should -Be (Get-RealPath $report)
        $html = Get-Content -LiteralPath $report -Raw
        $html | Should -Match '<title>Pester report</title>'
        $html | Should -Not -Match '<script[^>]+src='
        $html | Should -Not -Match '<link[^>]+href='
        $html | Should -Match 'd3-hierarchy 3\.1\.3'
        $html | Should -Not -Match '<img src=x'
    }

    It 'renders in Chromium without script errors, with the treemap''s boxes and the totals' {
        $chromium | Should -Not -BeNullOrEmpty -Because '.ci/run installs Debian''s chromium'
        $dom = (Invoke-Chromium @('--virtual-time-budget=5000', '--dump-dom', [uri]::new($report).AbsoluteUri)) -join "`n"
        $html = [regex]::Match($dom, '<html[^>]*>').Value   # the page marks its root element when done, or on a script error
        $html | Should -Match 'data-status="rendered"'
        $html | Should -Not -Match 'data-script-errors'
        ([regex]::Matches($dom, 'class="tm-box"')).Count | Should -BeGreaterThan 3
        $measured = Measure-ScanFolder -Database $db -Depth 0
        $dom | Should -Match ('id="total-size">' + [regex]::Escape($measured.Size) + '<')
        $dom | Should -Match ('id="total-files">' + $measured.Files.ToString('N0', [cultureinfo]'en-US') + '<')
        $measured.Files | Should -Be $(if ($IsWindows) { 8 } else { 9 })
        if (-not $IsWindows) { $dom | Should -Match 'new\\u000aline\.txt' }   # shown escaped, not as two lines
        $dom | Should -Match 'data-path="[^"]*/big"'
        $dom | Should -Not -Match '<img src="x"'   # the hostile path stayed text
        $dom | Should -Match '&lt;/script&gt;&lt;img src=x'

        # One screenshot kept as the test's artifact.
        $out = Join-Path $PSScriptRoot '../../out'
        $null = New-Item -ItemType Directory -Path $out -Force
        $shot = Join-Path (Resolve-Path $out) 'report-screenshot.png'
        Remove-Item -LiteralPath $shot -ErrorAction SilentlyContinue
        $null = Invoke-Chromium @('--hide-scrollbars', '--window-size=1280,1400', '--virtual-time-budget=5000', "--screenshot=$shot", [uri]::new($report).AbsoluteUri)
        (Get-Item -LiteralPath $shot).Length | Should -BeGreaterThan 10000
    }

    It 'refuses an existing file without -Force, a missing folder, and the catalog''s own files; -WhatIf writes nothing' {
        { Export-ScanReport -Database $db -Path $report -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidDestination*'
        { Export-ScanReport -Database $db -Path (Join-Path $TestDrive 'no/such/folder/r.html') -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidDestination*'
        { Export-ScanReport -Database $db -Path "$db-wal" -Force -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidDestination*'
        { Export-ScanReport -Database $db -Path $reports -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidDestination*'
        if (-not $IsWindows) { { Export-ScanReport -Database $db -Path '/' -ErrorAction Stop } | Should -Throw -ExpectedMessage "*'/' is a folder*" }
        Export-ScanReport -Database $db -Path (Join-Path $reports 'whatif.html') -WhatIf
        Test-Path -LiteralPath (Join-Path $reports 'whatif.html') | Should -BeFalse
        # A draft a killed or SIGTERMed report left (its process gone) is removed by the next report to that file;
        # one of a process still alive (this one) is left to it.
        $gone = Start-Process -FilePath sh -ArgumentList '-c', 'exit 0' -PassThru -Wait
        $dead = "$report.partial-$($gone.Id)-0123456789abcdef"
        $alive = "$report.partial-$PID-fedcba9876543210"
        Set-Content -LiteralPath $dead, $alive -Value 'half a report'
        $before = (Get-Item -LiteralPath $report).LastWriteTimeUtc
        Export-ScanReport -Database $db -Path $report -Force
        (Get-Item -LiteralPath $report).LastWriteTimeUtc | Should -BeGreaterOrEqual $before
        Test-Path -LiteralPath $dead | Should -BeFalse
        Test-Path -LiteralPath $alive | Should -BeTrue
        Remove-Item -LiteralPath $alive
        @(Get-ChildItem -LiteralPath $reports -Force -Filter '*.partial*') | Should -HaveCount 0
    }

    It 'keeps the mode of a report it replaces with -Force' -Skip:$IsWindows {
        $private = Join-Path $reports 'private.html'
        Export-ScanReport -Database $db -Path $private
        chmod 600 $private
        [IO.File]::WriteAllText($private, '<!DOCTYPE html><p>an older report</p>')

        Export-ScanReport -Database $db -Path $private -Force

        (Get-Item -LiteralPath $private).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite') -Because 'it came back 0644 from the umask'
        Get-Content -LiteralPath $private -Raw | Should -Not -BeLike '*an older report*'
    }

    It 'replaces with -Force only an HTML file: a SARIF report or a CSV stays' {
        $sarif = Join-Path $reports 'findings.sarif'
        Set-Content -LiteralPath $sarif -Value '{"version": "2.1.0", "runs": []}'

        { Export-ScanReport -Database $db -Path $sarif -Force -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidDestination*' -ExpectedMessage "*is not an HTML file; -Force replaces only an HTML file*"

        Get-Content -LiteralPath $sarif -Raw | Should -BeLike '*"version": "2.1.0"*'
        $empty = Join-Path $reports 'empty.html'
        $null = New-Item -ItemType File -Path $empty
        Export-ScanReport -Database $db -Path $empty -Force
        Get-Content -LiteralPath $empty -TotalCount 1 | Should -BeLike '*<!DOCTYPE html>*'
    }

    It 'lists the paths of a large duplicate group up to 10, and says how many more' {
        $dupTree = Join-Path $TestDrive 'dups'
        foreach ($i in 1..12) { $null = New-TestFile -Path (Join-Path $dupTree "copy$i.bin") -Content 'the same content in every copy' }
        $dupDb = New-CatalogPath -Directory $catalogs
        $null = Start-Scan -Path $dupTree -Database $dupDb -Hash
        $dupReport = Join-Path $reports 'dups.html'
        Export-ScanReport -Database $dupDb -Path $dupReport
        $dom = (Invoke-Chromium @('--virtual-time-budget=5000', '--dump-dom', [uri]::new($dupReport).AbsoluteUri)) -join "`n"
        $dom | Should -Match '\(2 more: Find-DuplicateFile lists them all\)'
        $dom | Should -Match '>12<'
    }

    It 'counts in its extension and owner tables the files its totals count (a file Write-Finding recorded elsewhere was in the tables alone: newcomer test 75)' {
        $tree = Join-Path $TestDrive 'report-scope'
        $null = New-TestFile -Path (Join-Path $tree 'scanned/a.txt') -Size 100
        $null = New-TestFile -Path (Join-Path $tree 'scanned/b.log') -Size 200
        $elsewhere = New-TestFile -Path (Join-Path $tree 'elsewhere/c.txt') -Size 5000
        $sdb = New-CatalogPath -Directory $catalogs
        $null = Start-Scan -Path (Join-Path $tree 'scanned') -Database $sdb
        $null = Get-Item -LiteralPath $elsewhere | Write-Finding -Database $sdb
        $page = Join-Path $reports 'scope.html'
        Export-ScanReport -Database $sdb -Path $page
        $html = Get-Content -LiteralPath $page -Raw

        $totals = [regex]::Match($html, '"totals":\{"bytes":(\d+),"size":"[^"]*","files":(\d+)')
        $totals.Success | Should -BeTrue
        [long]$totals.Groups[1].Value | Should -Be 300
        $extensions = [regex]::Match($html, '"extensions":(\[[^\]]*\])').Groups[1].Value | ConvertFrom-Json
        ($extensions | Measure-Object -Property files -Sum).Sum | Should -Be ([long]$totals.Groups[2].Value)
        ($extensions | Measure-Object -Property bytes -Sum).Sum | Should -Be 300
        $owners = [regex]::Match($html, '"owners":(\[[^\]]*\])').Groups[1].Value | ConvertFrom-Json
        ($owners | Measure-Object -Property bytes -Sum).Sum | Should -Be 300
    }

    It 'reports on an earlier run' {
        $old = Join-Path $reports 'run1.html'
        Export-ScanReport -Database $db -ScanId $firstRun.Id -Path $old
        Get-Content -LiteralPath $old -Raw | Should -Match '"asOf":"as of scan run 1"'
        { Export-ScanReport -Database $db -ScanId 999 -Path (Join-Path $reports 'x.html') -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidFilter*'
    }

    It 'warns that piped findings give only their catalog, and reports on the whole catalog (newcomer test 84)' {
        $target = Join-Path $reports 'piped-findings.html'
        $findings = @(Get-Finding -Database $db -First 3)
        $findings | Export-ScanReport -Path $target -WarningVariable warned -WarningAction SilentlyContinue
        Test-Path -LiteralPath $target | Should -BeTrue
        "$warned" | Should -BeLike "3 piped objects give Export-ScanReport only their catalog*not of the objects piped in*"
        $run = Join-Path $reports 'piped-run-nowarn.html'
        Get-ScanRun -Database $db -Id $firstRun.Id | Export-ScanReport -Path $run -WarningVariable none -WarningAction SilentlyContinue
        $none | Should -BeNullOrEmpty
    }

    It 'reports on a piped run, and refuses runs of several (a piped run bound only -Database before)' {
        $piped = Join-Path $reports 'piped-run1.html'
        Get-ScanRun -Database $db -Id $firstRun.Id | Export-ScanReport -Path $piped
        Get-Content -LiteralPath $piped -Raw | Should -Match '"asOf":"as of scan run 1"'
        { Get-ScanRun -Database $db | Export-ScanReport -Path (Join-Path $reports 'two.html') -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidFilter*' -ExpectedMessage '*runs*a report is of one run*'
    }
}
