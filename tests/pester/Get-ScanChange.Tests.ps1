# Get-ScanChange: what changed between scans, as a user asks for it.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-ScanToolsTestModulePath) -Force
    $catalogs = Join-Path $TestDrive 'catalogs'
    $null = New-Item -ItemType Directory -Path $catalogs -Force
    $cmdlet = 'ScanTools.Commands.GetScanChangeCommand'

    $root = Join-Path $TestDrive 'srv'
    foreach ($f in 'docs/report1.txt', 'docs/report2.txt', 'docs/report3.txt', 'src/a.txt', 'src/b.txt') {
        $null = New-TestFile -Path (Join-Path $root $f) -Content "content of $f"
    }
    $db = New-CatalogPath -Directory $catalogs
    $run1 = Start-Scan -Path $root -Database $db -Hash

    Add-Content -LiteralPath (Join-Path $root 'src/a.txt') -Value 'appended'
    Move-Item -LiteralPath (Join-Path $root 'docs/report2.txt') -Destination (Join-Path $root 'src/report2.txt')
    Remove-Item -LiteralPath (Join-Path $root 'docs/report3.txt')
    $null = New-TestFile -Path (Join-Path $root 'src/new.txt') -Content 'new'
    if (-not $IsWindows) {
        chmod 600 (Join-Path $root 'src/b.txt')
        chmod 640 (Join-Path $root 'src/report2.txt') # moved and changed in one run: Renamed, with Mode
    }
    $run2 = Start-Scan -Path $root -Database $db -Hash
    $aLengthAtRun2 = (Get-Item -LiteralPath (Join-Path $root 'src/a.txt')).Length

    Remove-Item -LiteralPath (Join-Path $root 'src/new.txt')
    Add-Content -LiteralPath (Join-Path $root 'src/a.txt') -Value 'again'
    $run3 = Start-Scan -Path $root -Database $db -Hash
}

Describe 'Get-ScanChange' {
    Context 'the changes of one scan' {
        BeforeAll {
            $changes = @(Get-ScanChange -Database $db -ScanId $run2.Id)
            $byName = @{}
            foreach ($c in $changes) { $byName[$c.Name] = $c }
        }

        It 'returns typed ScanChange objects, one per changed file' {
            $changes[0] | Should -BeOfType ScanTools.Storage.ScanChange
            $expected = @('a.txt', 'report2.txt', 'report3.txt', 'new.txt') + @(if (-not $IsWindows) { 'b.txt' })
            Join-Sorted $changes.Name | Should -Be (Join-Sorted $expected)
        }

        It 'says which properties of a modified file changed, with the sizes before and after' {
            $a = $byName['a.txt']
            $a.ChangeType | Should -Be 'Modified'
            $a.Properties.HasFlag([ScanTools.Storage.ChangedProperties]::Length) | Should -BeTrue
            $a.Properties.HasFlag([ScanTools.Storage.ChangedProperties]::Hash) | Should -BeTrue
            $a.Length | Should -Be $aLengthAtRun2
            $a.OldLength | Should -BeLessThan $a.Length
        }

        It 'shows a size change in the table, and the exact difference when both sizes round alike' {
            $table = $byName['a.txt'] | Format-Table | Out-String -Width 200
            $table | Should -Match ([regex]::Escape("Length $($byName['a.txt'].OldLength) B -> $($byName['a.txt'].Length) B"))

            $big = Join-Path $TestDrive 'grows'
            $null = New-TestFile -Path (Join-Path $big 'g.bin') -Content ('x' * 5000)
            $bigDb = New-CatalogPath -Directory $catalogs
            $null = Start-Scan -Path $big -Database $bigDb
            Add-Content -LiteralPath (Join-Path $big 'g.bin') -Value '12 bytes mor' -NoNewline
            $grown = Start-Scan -Path $big -Database $bigDb
            $view = Get-ScanChange -Database $bigDb -ScanId $grown.Id | Format-Table | Out-String -Width 200
            $view | Should -Match ([regex]::Escape('Length 4.9 KB (+12 B)'))
        }

        It 'reports a permission change as Mode (Unix)' -Skip:$IsWindows {
            $byName['b.txt'].ChangeType | Should -Be 'Modified'
            $byName['b.txt'].Properties | Should -Be 'Mode'
        }

        It 'shows in the table what changed with a move (a moved and chmodded file showed only where it was)' -Skip:$IsWindows {
            $table = $byName['report2.txt'] | Format-Table | Out-String -Width 300
            $table | Should -Match ([regex]::Escape("from $(Join-Path $root 'docs/report2.txt'); Mode"))
        }

        It 'reports a move as Renamed, with where the file was' {
            $r = $byName['report2.txt']
            $r.ChangeType | Should -Be 'Renamed'
            $r.OldFullName | Should -Be (Join-Path $root 'docs/report2.txt')
            $r.FullName | Should -Be (Join-Path $root 'src/report2.txt')
        }

        It 'lists the changes of the files piped in (their PSPath), and pipes its changes to Get-Finding as those files' {
            $a = Join-Path $root 'src/a.txt'
            $piped = @(Get-Finding -Database $db -LiteralPath $a, (Join-Path $root 'src/report2.txt') | Get-ScanChange -Database $db -ScanId $run2.Id)
            Join-Sorted $piped.Name | Should -Be (Join-Sorted 'a.txt', 'report2.txt') -Because 'only the piped files'' changes, not every change of the run'
            @(Get-Finding -Database $db -LiteralPath $a | Get-ScanChange -Database $db).FullName | Should -Be @($a) -Because 'the newest scan changed a.txt again'

            $files = @(Get-ScanChange -Database $db -ScanId $run2.Id -ChangeType Renamed, Modified | Get-Finding -Database $db)
            Join-Sorted $files.Name | Should -Be (Join-Sorted (@($changes | Where-Object ChangeType -In Renamed, Modified).Name)) -Because 'the change''s ScanId is the run that found it, not a -ScanId filter'
        }

        It 'shows a summary''s runs as numbers, not as {2}' {
            $text = Get-ScanChange -Database $db -ScanId $run2.Id, $run3.Id -Summary | Out-String -Width 80
            $text | Should -Match "(?m)^ScanId\s+: $($run2.Id), $($run3.Id)\s*$"
        }

        It 'reports deleted and new files as Removed and Added' {
            $byName['report3.txt'].ChangeType | Should -Be 'Removed'
            $byName['new.txt'].ChangeType | Should -Be 'Added'
        }

        It 'returns the newest scan by default, and binds a piped run' {
            (Get-ScanChange -Database $db).ScanId | Sort-Object -Unique | Should -Be $run3.Id
            Join-Sorted (Get-ScanRun -Database $db -Id $run2.Id | Get-ScanChange).FullName | Should -Be (Join-Sorted $changes.FullName)
        }

        It 'reports every file of the first scan as Added' {
            $first = @(Get-ScanChange -Database $db -ScanId $run1.Id)
            $first | Should -HaveCount 5
            $first.ChangeType | Sort-Object -Unique | Should -Be 'Added'
        }
    }

    Context 'filters and the summary' {
        It 'filters by change type, property and path' {
            (Get-ScanChange -Database $db -ScanId $run2.Id -ChangeType Removed).Name | Should -Be 'report3.txt'
            (Get-ScanChange -Database $db -ScanId $run2.Id -Property Hash).Name | Should -Be 'a.txt'
            # report2.txt moved out of docs: a change there too.
            Join-Sorted (Get-ScanChange -Database $db -ScanId $run2.Id -Path (Join-Path $root 'docs')).Name | Should -Be (Join-Sorted 'report2.txt', 'report3.txt')
            @(Get-ScanChange -Database $db -ScanId $run2.Id -First 2) | Should -HaveCount 2
        }

        It 'returns with -Property <Property> only the Modified and Renamed changes in which it changed' -ForEach @(
            @{ Property = 'Length' }, @{ Property = 'Hash' }, @{ Property = 'Mode' }, @{ Property = 'Length, Mode' }
        ) {
            $wanted = [ScanTools.Storage.ChangedProperties]$Property
            foreach ($selection in @{ ScanId = $run2.Id }, @{ ReferenceRun = $run1.Id; DifferenceRun = $run3.Id }) {
                $expected = @(Get-ScanChange -Database $db @selection |
                    Where-Object { $_.ChangeType -in 'Modified', 'Renamed' -and ($_.Properties -band $wanted) } | ForEach-Object FullName)
                @(Get-ScanChange -Database $db @selection -Property $wanted | ForEach-Object FullName) | Should -Be $expected
            }
        }

        It 'counts the changes per type with -Summary' {
            $s = Get-ScanChange -Database $db -ScanId $run2.Id -Summary
            $s | Should -BeOfType ScanTools.Storage.ScanChangeSummary
            $s.Added | Should -Be 1
            $s.Removed | Should -Be 1
            $s.Renamed | Should -Be 1
            $s.Modified | Should -Be $(if ($IsWindows) { 1 } else { 2 })
            $s.HashChanged | Should -Be 1
            $s.Entries | Should -Be $run2.Files
            # Each property count is what -Property of that name selects, renamed files included.
            foreach ($p in 'Length', 'LastWriteTime', 'Hash', 'Mode', 'Owner', 'LinkTarget', 'Kind') {
                $s."${p}Changed" | Should -Be @(Get-ScanChange -Database $db -ScanId $run2.Id -Property $p).Count -Because "$p"
            }
            if (-not $IsWindows) { $s.ModeChanged | Should -Be 2 -Because 'b.txt was modified, report2.txt moved, and both chmodded' }
        }
    }

    Context 'piped runs' {
        It 'gathers piped runs into one selection: one -Summary, one list, one -First, as with -ScanId' {
            $piped = @(Get-ScanRun -Database $db -Last 2)
            $ids = @($piped.Id)
            $summaries = @($piped | Get-ScanChange -Summary)
            $summaries | Should -HaveCount 1
            $given = Get-ScanChange -Database $db -ScanId $ids -Summary
            $summaries[0].ScanId | Should -Be $given.ScanId
            foreach ($count in 'Total', 'Added', 'Removed', 'Modified', 'Renamed', 'Entries') {
                $summaries[0].$count | Should -Be $given.$count -Because $count
            }
            @($piped | Get-ScanChange | ForEach-Object { "$($_.ScanId) $($_.FullName)" }) |
                Should -Be @(Get-ScanChange -Database $db -ScanId $ids | ForEach-Object { "$($_.ScanId) $($_.FullName)" })
            @($piped | Get-ScanChange -First 1) | Should -HaveCount 1
        }

        It 'gives a Removed change no PSPath, so a piped Remove-Item never acts on a new file of that name (newcomer test 84)' {
            $removed = @(Get-ScanChange -Database $db -ScanId $run2.Id -ChangeType Removed)
            $removed | Should -HaveCount 1
            $removed[0].PSPath | Should -BeNullOrEmpty
            $path = Join-Path $root 'docs/report3.txt'
            $null = New-TestFile -Path $path -Content 'a new report3'
            try {
                $removed | Remove-Item -ErrorAction SilentlyContinue -ErrorVariable refused
                $refused | Should -HaveCount 1
                Get-Content -LiteralPath $path | Should -Be 'a new report3'
                # Piped back, it still selects its own changes, by FullName.
                @($removed | Get-ScanChange -Database $db).FullName | Should -Be @($path)
            }
            finally { Remove-Item -LiteralPath $path }
            @(Get-ScanChange -Database $db -ScanId $run2.Id -ChangeType Added).PSPath | Should -Not -BeNullOrEmpty
        }

        It 'refuses -First with -Summary, which counts every change (it ignored -First: newcomer test 84)' {
            { Get-ScanChange -Database $db -ScanId $run2.Id -First 2 -Summary -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidFilter*' -ExpectedMessage '*-Summary counts every change*'
        }

        It 'takes piped strings as paths, and refuses a piped object that gives no path or run rather than listing every change' {
            @((Join-Path $root 'src/a.txt') | Get-ScanChange -Database $db -ScanId $run2.Id).FullName | Should -Be @(Join-Path $root 'src/a.txt')
            $all = @([pscustomobject]@{ Database = $db } | Get-ScanChange -ErrorAction SilentlyContinue -ErrorVariable refused)
            $all | Should -BeNullOrEmpty
            $refused[0].FullyQualifiedErrorId | Should -BeLike 'InputObjectNotBound*'
            @('' | Get-ScanChange -Database $db -ErrorAction SilentlyContinue -ErrorVariable blank) | Should -BeNullOrEmpty
            $blank[0].FullyQualifiedErrorId | Should -BeLike 'EmptyPathPiped*'
        }

        It 'summarises runs piped from two catalogs once per catalog' {
            $otherRoot = Join-Path $TestDrive 'other'
            $null = New-TestFile -Path (Join-Path $otherRoot 'o.txt') -Content 'o'
            $other = New-CatalogPath -Directory $catalogs
            $null = Start-Scan -Path $otherRoot -Database $other
            $summaries = @(@(Get-ScanRun -Database $db -Last 2) + @(Get-ScanRun -Database $other) | Get-ScanChange -Summary)
            $summaries | Should -HaveCount 2
            $summaries[0].Total | Should -Be (Get-ScanChange -Database $db -ScanId @(Get-ScanRun -Database $db -Last 2).Id -Summary).Total
            $summaries[1].Total | Should -Be (Get-ScanChange -Database $other -ScanId @(Get-ScanRun -Database $other).Id -Summary).Total
            $summaries.Database | Should -Be @((Get-ScanRun -Database $db -Last 1).Database, (Get-ScanRun -Database $other -Last 1).Database)
        }
    }

    Context 'comparing two runs' {
        It 'folds the runs between into each file''s net change' {
            $net = @(Get-ScanChange -Database $db -ReferenceRun $run1.Id -DifferenceRun $run3.Id)
            $byName = @{}
            foreach ($c in $net) { $byName[$c.Name] = $c }
            $byName.ContainsKey('new.txt') | Should -BeFalse   # added, then removed: no net change
            $byName['a.txt'].ChangeType | Should -Be 'Modified'
            $byName['report2.txt'].ChangeType | Should -Be 'Renamed'
            $byName['report3.txt'].ChangeType | Should -Be 'Removed'
        }

        It 'compares -DifferenceRun alone with the run before it' {
            Join-Sorted (Get-ScanChange -Database $db -DifferenceRun $run3.Id).Name | Should -Be (Join-Sorted (Get-ScanChange -Database $db -ScanId $run3.Id).Name)
        }
    }

    Context 'net changes of renamed files' {
        BeforeAll {
            # What the OS says about a file: which file it is and what it holds.
            function Get-FileState([string] $Path) {
                $item = Get-Item -LiteralPath $Path
                [pscustomobject]@{
                    Inode         = if ($IsWindows) { $null } else { (stat -c '%i' $Path) }
                    Length        = $item.Length
                    LastWriteTime = $item.LastWriteTimeUtc
                    Hash          = (Get-FileHash -LiteralPath $Path -Algorithm SHA256).Hash
                    Mode          = if ($IsWindows) { $item.Attributes } else { $item.UnixFileMode }
                }
            }
            $rn = Join-Path $TestDrive 'renames'
            $rdb = New-CatalogPath -Directory $catalogs
            $null = New-Item -ItemType Directory -Path $rn
            $rb = Join-Path $rn 'rb'; $rb2 = Join-Path $rn 'rb2'
            $src = Join-Path $rn 'ren-src.txt'; $dst = Join-Path $rn 'ren-dst.txt'; $third = Join-Path $rn 'ren-third.txt'
            'rb' > $rb; 'ren' > $src
            $r1 = Start-Scan -Path $rn -Database $rdb -Hash
            $rbAtRun1 = Get-FileState $rb
            Move-Item -LiteralPath $rb -Destination $rb2
            Move-Item -LiteralPath $src -Destination $dst
            $r2 = Start-Scan -Path $rn -Database $rdb -Hash
            Move-Item -LiteralPath $rb2 -Destination $rb
            Move-Item -LiteralPath $dst -Destination $third
            $r3 = Start-Scan -Path $rn -Database $rdb -Hash
            $rbAtRun3 = Get-FileState $rb
            function Format-Change { process { '{0} {1} <- {2} {3}' -f $_.ChangeType, $_.FullName, $_.OldFullName, $_.Properties } }
        }

        It 'folds a file renamed and renamed back into no change (or Modified if it changed)' {
            $rbAtRun3.Inode | Should -Be $rbAtRun1.Inode -Because 'a rename keeps the file'
            $changed = @($rbAtRun1.PSObject.Properties.Name | Where-Object { "$($rbAtRun1.$_)" -ne "$($rbAtRun3.$_)" })
            $net = @(Get-ScanChange -Database $rdb -ReferenceRun $r1.Id -DifferenceRun $r3.Id | Where-Object { $_.FullName -in $rb, $rb2 -or $_.OldFullName -in $rb, $rb2 })
            if ($changed.Count -eq 0) {
                $net | Should -BeNullOrEmpty
            }
            else {
                $net.ChangeType | Should -Be 'Modified'
            }
        }
        It 'selects with -Path among the unfiltered net changes, by their old or new path (<Name>)' -ForEach @(
            @{ Name = 'ren-src.txt' }, @{ Name = 'ren-dst.txt' }, @{ Name = 'ren-third.txt' }, @{ Name = 'rb' }, @{ Name = 'rb2' }
        ) {
            $p = Join-Path $rn $Name
            $all = @(Get-ScanChange -Database $rdb -ReferenceRun $r1.Id -DifferenceRun $r3.Id)
            $expected = @($all | Where-Object { $_.FullName -eq $p -or $_.OldFullName -eq $p } | Format-Change)
            @(Get-ScanChange -Database $rdb -ReferenceRun $r1.Id -DifferenceRun $r3.Id -Path $p | Format-Change) | Should -Be $expected
            @(Get-ScanChange -Database $rdb -ReferenceRun $r1.Id -DifferenceRun $r3.Id -LiteralPath $p | Format-Change) | Should -Be $expected
        }

        It 'gives a file renamed twice the same net change with -Path of either end, and none with -Path of the name in between' {
            $all = @(Get-ScanChange -Database $rdb -ReferenceRun $r1.Id -DifferenceRun $r3.Id | Where-Object OldFullName -eq $src)
            $all | Should -HaveCount 1
            $all[0].FullName | Should -Be $third -Because 'ren-src.txt went to ren-dst.txt, then to ren-third.txt (ground truth: the moves above)'
            (Get-ScanChange -Database $rdb -ReferenceRun $r1.Id -DifferenceRun $r3.Id -Path $src | Format-Change) | Should -Be ($all | Format-Change)
            (Get-ScanChange -Database $rdb -ReferenceRun $r1.Id -DifferenceRun $r3.Id -Path $third | Format-Change) | Should -Be ($all | Format-Change)
            Get-ScanChange -Database $rdb -ReferenceRun $r1.Id -DifferenceRun $r3.Id -Path $dst | Should -BeNullOrEmpty
        }
    }

    Context 'the default: every run after the newest completed scan before the newest scan' {
        BeforeAll {
            # The runs the default covers, by its definition, from what Get-ScanRun says.
            function Get-RunsSinceLastTime([string] $Database) {
                $runs = @(Get-ScanRun -Database $Database)
                $newest = @($runs | Where-Object Kind -eq 'Scan' | Sort-Object Id -Descending | Select-Object -First 1)
                $before = @($runs | Where-Object { $_.Kind -eq 'Scan' -and $_.Status -eq 'Completed' -and $_.Id -lt $newest[0].Id } | Sort-Object Id -Descending)
                # The newest of them whose roots hold every root of the newest scan, else the newest of them.
                $covering = @($before | Where-Object { $c = $_; @($newest[0].Roots | Where-Object { $n = $_; -not @($c.Roots | Where-Object { $n -eq $_ -or $n.StartsWith($_.TrimEnd('/') + '/') }) }).Count -eq 0 } | Select-Object -First 1)
                $cutoff = if ($covering) { $covering[0].Id } else { @($before | Select-Object -First 1).Id }
                if ($null -eq $cutoff) { $cutoff = 0 }
                @($runs | Where-Object Id -gt $cutoff | Sort-Object Id).Id
            }
            function Format-Change { process { '{0} {1} {2} {3}' -f $_.ScanId, $_.ChangeType, $_.FullName, $_.Properties } }
            $r = Join-Path $TestDrive 'c7'
            $c7 = New-CatalogPath -Directory $catalogs
            $null = New-Item -ItemType Directory -Path $r
            'same' > (Join-Path $r 'a'); 'same' > (Join-Path $r 'b'); 'diff' > (Join-Path $r 'c')
        }

        It 'includes the runs after the newest scan (duplicate searches, records), in the list and in -Summary' {
            $null = Start-Scan -Path $r -Database $c7 -Hash
            'same' > (Join-Path $r 'c')
            $null = Find-DuplicateFile -Database $c7
            $since = Get-RunsSinceLastTime $c7
            $expected = Join-Sorted (Get-ScanChange -Database $c7 -ScanId $since | Format-Change)
            Join-Sorted (Get-ScanChange -Database $c7 | Format-Change) | Should -Be $expected
            (Get-ScanChange -Database $c7 -Summary).ScanId | Should -Be $since
            (Get-ScanChange -Database $c7 | Where-Object FullName -eq (Join-Path $r 'c')).ScanId | Should -Contain ((Get-ScanRun -Database $c7 -Last 1).Id)

            $null = Start-Scan -Path $r -Database $c7
            'diff' > (Join-Path $r 'b'); 'diff' > (Join-Path $r 'c')
            $null = Find-DuplicateFile -Database $c7
            $since = Get-RunsSinceLastTime $c7
            $expected = Join-Sorted (Get-ScanChange -Database $c7 -ScanId $since | Format-Change)
            Join-Sorted (Get-ScanChange -Database $c7 | Format-Change) | Should -Be $expected
            $summary = Get-ScanChange -Database $c7 -Summary
            $summary.ScanId | Should -Be $since
            $summary.Total | Should -Be @(Get-ScanChange -Database $c7 -ScanId $since).Count
        }

        It 'keeps the changes an ad-hoc scan of a subfolder saw between two scans of the whole tree' {
            $r9 = Join-Path $TestDrive 'c9'
            $c9 = New-CatalogPath -Directory $catalogs
            $null = New-Item -ItemType Directory -Path (Join-Path $r9 'docs'), (Join-Path $r9 'src')
            'one' > (Join-Path $r9 'docs/f50.txt'); 'one' > (Join-Path $r9 'src/f51.txt')
            $null = Start-Scan -Path $r9 -Database $c9                       # last night
            'changed, longer' > (Join-Path $r9 'docs/f50.txt')
            $null = Start-Scan -Path (Join-Path $r9 'docs') -Database $c9     # an ad-hoc scan during the day
            'changed, longer' > (Join-Path $r9 'src/f51.txt')
            $null = Start-Scan -Path $r9 -Database $c9                       # tonight

            $changes = @(Get-ScanChange -Database $c9)

            Join-Sorted $changes.Name | Should -Be (Join-Sorted @('f50.txt', 'f51.txt')) -Because 'the day''s scan of docs saw f50 change, and tonight''s found it unchanged'
            (Get-ScanChange -Database $c9 -Summary).ScanId | Should -Be (Get-RunsSinceLastTime $c9)
        }

        It 'keeps the changes of a scan stopped in between: a new file it saw is not new to the scan after it' -Skip:(-not $IsLinux) {
            $r8 = Join-Path $TestDrive 'c8'
            $c8 = New-CatalogPath -Directory $catalogs
            $null = New-Item -ItemType Directory -Path (Join-Path $r8 'sub')
            'one' > (Join-Path $r8 'a')
            $null = Start-Scan -Path $r8 -Database $c8
            'new' > (Join-Path $r8 'n')
            'changed, longer' > (Join-Path $r8 'a')
            # A name that is not UTF-8 is an error item; -ErrorAction Stop at it stops the scan, which lists the root (and
            # hands its files over) before the subfolder with one walker. A Select-Object -First 1 after -PassThru raced
            # the end of a scan of two files, which then completed.
            sh -c 'touch "$1/sub/$(printf ''bad\351'')"' sh $r8
            try { $null = Start-Scan -Path $r8 -Database $c8 -ThrottleLimit 1 -ErrorAction Stop } catch { $_.FullyQualifiedErrorId | Should -BeLike 'InvalidName*' }
            (Get-ScanRun -Database $c8 -Kind Scan -Last 1).Status | Should -Be 'Cancelled'
            sh -c 'rm -f "$1/sub/"bad*' sh $r8
            $null = Start-Scan -Path $r8 -Database $c8

            $changes = @(Get-ScanChange -Database $c8)

            ($changes | Where-Object Name -eq 'n').ChangeType | Should -Be 'Added' -Because 'the stopped scan recorded it, and the newest found it unchanged'
            ($changes | Where-Object Name -eq 'a').ChangeType | Should -Be 'Modified'
            (Get-ScanChange -Database $c8 -Summary).ScanId | Should -Be (Get-RunsSinceLastTime $c8)
        }
    }

    Context 'bad input' {
        It 'reports a run the catalog does not hold as a non-terminating InvalidFilter, naming it, and lists the runs it holds' {
            { Get-ScanChange -Database $db -ScanId 999 -ErrorAction Stop } | Should -Throw -ErrorId "InvalidFilter,$cmdlet" -ExpectedMessage '*no run 999*'
            $held = @(Get-ScanChange -Database $db -ScanId 2)
            $both = @(Get-ScanChange -Database $db -ScanId 999, 2 -ErrorVariable missing -ErrorAction SilentlyContinue)
            $missing | Should -HaveCount 1 -Because 'as Get-ScanError and Get-Finding do: the script goes on'
            "$($missing[0])" | Should -BeLike '*no run 999*'
            $held | Should -Not -BeNullOrEmpty
            $both.Count | Should -Be $held.Count
        }

        It 'refuses a run piped from another catalog than -Database, whose id names another run there' {
            $other = Join-Path $TestDrive 'other-changes.db'
            $otherTree = Join-Path $TestDrive 'other-changes'
            $null = New-Item -ItemType Directory -Path $otherTree
            'x' | Set-Content -LiteralPath (Join-Path $otherTree 'x.txt')
            $null = Start-Scan -Path $otherTree -Database $other
            'y' | Set-Content -LiteralPath (Join-Path $otherTree 'y.txt')
            $null = Start-Scan -Path $otherTree -Database $other
            $foreignRun = Get-ScanRun -Database $other -Last 1
            $foreignRun.Id | Should -BeIn @(Get-ScanRun -Database $db).Id -Because 'the test needs an id both catalogs hold'

            $listed = @($foreignRun | Get-ScanChange -Database $db -ErrorVariable foreign -ErrorAction SilentlyContinue)

            $listed | Should -BeNullOrEmpty -Because "it listed the changes of -Database's run $($foreignRun.Id), without a word"
            $foreign[0].FullyQualifiedErrorId | Should -Be "ObjectFromOtherCatalog,$cmdlet"
            "$($foreign[0])" | Should -BeLike '*comes from another catalog*Leave out -Database*'
            # Get-ScanRun and Export-ScanReport listed and reported on -Database's run of that id (newcomer test 76).
            @($foreignRun | Get-ScanRun -Database $db -ErrorVariable runErrors -ErrorAction SilentlyContinue) | Should -BeNullOrEmpty
            $runErrors[0].FullyQualifiedErrorId | Should -Be 'ObjectFromOtherCatalog,ScanTools.Commands.GetScanRunCommand'
            $page = Join-Path $TestDrive 'foreign-run.html'
            $foreignRun | Export-ScanReport -Database $db -Path $page -ErrorVariable reportErrors -ErrorAction SilentlyContinue
            $reportErrors[0].FullyQualifiedErrorId | Should -Be 'ObjectFromOtherCatalog,ScanTools.Commands.ExportScanReportCommand'
            Test-Path -LiteralPath $page | Should -BeFalse
            @($foreignRun | Get-ScanRun) | Should -HaveCount 1 -Because 'without -Database the run is read from its own catalog'
            @($foreignRun | Get-ScanChange).Name | Should -Be @('y.txt') -Because 'without -Database the run reads its own catalog'
            @(Get-ScanRun -Database $db -Id $foreignRun.Id | Get-ScanChange -Database $db -ErrorVariable own) | Out-Null
            $own | Should -BeNullOrEmpty
            $foreignRun | Get-ScanError -Database $db -ErrorVariable foreignErrors -ErrorAction SilentlyContinue
            $foreignErrors[0].FullyQualifiedErrorId | Should -Be 'ObjectFromOtherCatalog,ScanTools.Commands.GetScanErrorCommand'
        }

        It 'reads each of the runs of two catalogs piped without -Database from its own catalog, though their ids are the same' {
            $catalogsOfTwo = foreach ($n in 'one', 'two') {
                $t = New-TestDirectory -Parent $TestDrive -Name "same-id-$n"
                "$n" | Set-Content -LiteralPath (Join-Path $t "$n.txt")
                $c = Join-Path $TestDrive "same-id-$n.db"
                $null = Start-Scan -Path $t -Database $c
                $c
            }
            $runs = @($catalogsOfTwo | ForEach-Object { Get-ScanRun -Database $_ -Last 1 })
            $runs[0].Id | Should -Be $runs[1].Id -Because 'new catalogs number their runs from 1'

            $changes = @($runs | Get-ScanChange -ErrorVariable refusedChanges)
            $null = @($runs | Get-ScanError -ErrorVariable refusedErrors)

            $refusedChanges | Should -BeNullOrEmpty -Because 'the second run was refused as ObjectFromOtherCatalog, checked against the first run''s catalog'
            $refusedErrors | Should -BeNullOrEmpty
            Join-Sorted $changes.Name | Should -Be (Join-Sorted 'one.txt', 'two.txt')
        }

        It 'finds a file renamed and then removed by the path it had at the reference run' {
            $tree = New-TestDirectory -Parent $TestDrive -Name 'renamed-then-removed'
            $null = New-Item -ItemType Directory -Path (Join-Path $tree 'dir1')
            'a' | Set-Content -LiteralPath (Join-Path $tree 'a.txt')
            'b' | Set-Content -LiteralPath (Join-Path $tree 'dir1/b.txt')
            $rdb = Join-Path $TestDrive 'renamed-then-removed.db'
            $r1 = Start-Scan -Path $tree -Database $rdb
            Rename-Item -LiteralPath (Join-Path $tree 'a.txt') -NewName 'a2.txt'
            Rename-Item -LiteralPath (Join-Path $tree 'dir1') -NewName 'dir2'
            $null = Start-Scan -Path $tree -Database $rdb
            Remove-Item -LiteralPath (Join-Path $tree 'a2.txt'), (Join-Path $tree 'dir2/b.txt')
            $r3 = Start-Scan -Path $tree -Database $rdb
            $real = Get-RealPath $tree

            @(Get-ScanChange -Database $rdb -ReferenceRun $r1.Id -DifferenceRun $r3.Id -Path (Join-Path $tree 'a.txt')).FullName | Should -Be @("$real/a.txt") -Because 'a filter matches either end, not the path in between'
            @(Get-ScanChange -Database $rdb -ReferenceRun $r1.Id -DifferenceRun $r3.Id -Name 'a.txt').ChangeType | Should -Be @('Removed')
            @(Get-ScanChange -Database $rdb -ReferenceRun $r1.Id -DifferenceRun $r3.Id -Path (Join-Path $tree 'dir1')).FullName | Should -Be @("$real/dir1/b.txt")
        }

        It 'refuses two ways of choosing runs at once' {
            { Get-ScanChange -Database $db -ScanId 1 -ReferenceRun 1 } | Should -Throw -ErrorId "InvalidFilter,$cmdlet"
        }

        It 'refuses a reference run that is not earlier than the difference run' {
            { Get-ScanChange -Database $db -ReferenceRun 3 -DifferenceRun 2 } | Should -Throw -ErrorId "InvalidFilter,$cmdlet"
        }

        It 'says a -ReferenceRun the catalog does not hold is missing, not that it must be earlier (newcomer test 73)' {
            { Get-ScanChange -Database $db -ReferenceRun 999 -DifferenceRun 2 } | Should -Throw -ExpectedMessage '*holds no run 999*'
        }

        It 'refuses -RunKey typed on the command line: it binds from piped runs only (it was ignored: newcomer test 73)' {
            { Get-ScanChange -Database $db -RunKey ([guid]::NewGuid()) } | Should -Throw -ErrorId "RunKeyFromPipelineOnly,$cmdlet" -ExpectedMessage '*-ScanId*'
            { Get-ScanError -Database $db -RunKey ([guid]::NewGuid()) } | Should -Throw -ErrorId 'RunKeyFromPipelineOnly,ScanTools.Commands.GetScanErrorCommand'
        }

        It 'refuses -Property None, which would select no change, saying how to get every change' {
            { Get-ScanChange -Database $db -Property None } | Should -Throw -ErrorId "InvalidFilter,$cmdlet" -ExpectedMessage '*leave out -Property*'
        }

        It 'says that -ReferenceRun alone cannot be the newest run, as nothing came after it' {
            $newest = (Get-ScanRun -Database $db -Last 1).Id
            $err = { Get-ScanChange -Database $db -ReferenceRun $newest } | Should -Throw -ErrorId "InvalidFilter,$cmdlet" -PassThru
            $err.Exception.Message | Should -BeLike "*$newest*newest run*"
            $err.Exception.Message | Should -Not -BeLike "*DifferenceRun ($newest)*"
        }

        It 'refuses an inverted time window' {
            { Get-ScanChange -Database $db -After '2030-01-01' -Before '2020-01-01' } | Should -Throw -ErrorId "InvalidFilter,$cmdlet"
        }

        It 'refuses an empty time window without telling to swap equal times (newcomer test 66)' {
            $err = { Get-ScanChange -Database $db -After '2030-01-01' -Before '2030-01-01' } | Should -Throw -ErrorId "InvalidFilter,$cmdlet" -PassThru
            $err.Exception.Message | Should -BeLike '*same time*later Before*'
            $err.Exception.Message | Should -Not -BeLike '*Swap*'
        }

        It 'refuses -Property with only Added or Removed in -ChangeType, which no change can match (it returned nothing, newcomer test 66)' {
            { Get-ScanChange -Database $db -Property Hash -ChangeType Added } |
                Should -Throw -ErrorId "InvalidFilter,$cmdlet" -ExpectedMessage '*-ChangeType Added selects neither*Add Modified or Renamed*'
            { Get-ScanChange -Database $db -Property Length -ChangeType Added, Removed } | Should -Throw -ErrorId "InvalidFilter,$cmdlet"
            { Get-ScanChange -Database $db -Property Length -ChangeType Added, Modified } | Should -Not -Throw
        }

        It 'warns of a typed path no scan has recorded, as Get-Finding does, and not of a known one without changes' {
            $typo = Join-Path $root 'no-such-folder'

            @(Get-ScanChange -Database $db -ScanId $run2.Id -Path $typo -WarningVariable unknown -WarningAction SilentlyContinue) | Should -BeNullOrEmpty
            "$unknown" | Should -BeLike "*holds no file or folder '$typo'*"
            $null = Get-ScanChange -Database $db -ScanId $run2.Id -LiteralPath $typo -Summary -WarningVariable summarized -WarningAction SilentlyContinue
            "$summarized" | Should -BeLike "*holds no file or folder '$typo'*"

            $unchanged = Join-Path $root 'docs/report1.txt'
            @(Get-ScanChange -Database $db -ScanId $run2.Id -LiteralPath $unchanged -WarningVariable known -WarningAction SilentlyContinue) | Should -BeNullOrEmpty
            $known | Should -BeNullOrEmpty
            @(Get-Item -LiteralPath $unchanged | Get-ScanChange -Database $db -ScanId $run2.Id -WarningVariable piped -WarningAction SilentlyContinue) | Should -BeNullOrEmpty
            $piped | Should -BeNullOrEmpty
        }

        It 'says there is no catalog, without creating one' {
            $missing = Join-Path $catalogs 'missing.db'
            { Get-ScanChange -Database $missing } | Should -Throw -ErrorId "CatalogNotFound,$cmdlet"
            Test-Path -LiteralPath $missing | Should -BeFalse
        }
    }

    Context 'the default view' {
        It 'fits 80 columns and says what changed under the path' {
            $text = Get-ScanChange -Database $db -ScanId $run2.Id | Out-String -Width 80
            ($text -split "`n" | Where-Object { $_.TrimEnd().Length -gt 80 }) | Should -BeNullOrEmpty
            $joined = $text -replace '\s', ''   # wrapped lines joined
            $joined | Should -Match 'from.*report2\.txt'
            $joined | Should -Match 'Length\d+B->\d+B'
        }
    }
}
