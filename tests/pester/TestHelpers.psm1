# Helpers shared by the ScanTools Pester tests. Every function takes the folder it works in as a
# parameter (callers pass $TestDrive or a folder below it), so nothing here depends on Pester's scopes.

function Get-ScanToolsTestModulePath {
    <#
    .SYNOPSIS
    The full path of the ScanTools.psd1 under test: $env:SCANTOOLS_TEST_MODULE (set by
    Invoke-PesterSuite.ps1), else the module the build stages in out/ScanTools.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param()

    $candidate = if ($env:SCANTOOLS_TEST_MODULE) {
        $env:SCANTOOLS_TEST_MODULE
    }
    else {
        Join-Path $PSScriptRoot '../../out/ScanTools/ScanTools.psd1'
    }
    if (Test-Path -LiteralPath $candidate -PathType Container) {
        $candidate = Join-Path $candidate 'ScanTools.psd1'
    }
    if (-not (Test-Path -LiteralPath $candidate -PathType Leaf)) {
        throw "The ScanTools module manifest was not found at '$candidate'. Build it first: dotnet build ScanTools.sln"
    }
    # A full path: ForEach-Object -Parallel runspaces import it from wherever their location is.
    (Resolve-Path -LiteralPath $candidate).ProviderPath
}

function New-TestDirectory {
    <#
    .SYNOPSIS
    Creates a folder with a unique name under -Parent (or the given -Name) and returns its full path.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [string] $Parent,
        [string] $Name = ([guid]::NewGuid().ToString('N').Substring(0, 12))
    )

    [IO.Directory]::CreateDirectory([IO.Path]::Combine($Parent, $Name)).FullName
}

function New-TestFile {
    <#
    .SYNOPSIS
    Creates a file (and its folders) and returns its full path. -Size gives an exact length (zero bytes),
    otherwise -Content is written as UTF-8 without BOM. -Hidden sets the Hidden attribute on Windows
    (on Unix a leading dot is what makes a file hidden).
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [string] $Path,
        [string] $Content = '',
        [long] $Size = -1,
        [AllowNull()] [object] $LastWriteTimeUtc,
        [switch] $Hidden
    )

    $full = [IO.Path]::GetFullPath($Path)
    $null = [IO.Directory]::CreateDirectory([IO.Path]::GetDirectoryName($full))
    if ($Size -ge 0) {
        [IO.File]::WriteAllBytes($full, [byte[]]::new($Size))
    }
    else {
        [IO.File]::WriteAllText($full, $Content, [Text.UTF8Encoding]::new($false))
    }
    if ($null -ne $LastWriteTimeUtc) {
        # A DateTime of kind Utc (or Unspecified) is taken as UTC; a Local one is converted.
        [IO.File]::SetLastWriteTimeUtc($full, [datetime]$LastWriteTimeUtc)
    }
    if ($Hidden -and $IsWindows) {
        [IO.File]::SetAttributes($full, [IO.File]::GetAttributes($full) -bor [IO.FileAttributes]::Hidden)
    }
    $full
}

function New-TestTree {
    <#
    .SYNOPSIS
    Builds a tree of -Folders folders with -FilesPerFolder files each, plus hidden and dot entries,
    and returns how many files it created.
    .DESCRIPTION
    Layout under -Path:
      top.txt, .dotfile                       (2 files at the top)
      d<i>/file<j>.txt|.log|.bin               (FilesPerFolder files per folder, extensions rotate)
      d<i>/.hidden-d<i>                        (a dot file in every folder)
      d<i>/sub/nested1.txt, d<i>/sub/nested2.dat
      .cache/cached.bin                        (a hidden folder)
    Every file's content names the file, so sizes and hashes differ.
    #>
    [CmdletBinding()]
    [OutputType([int])]
    param(
        [Parameter(Mandatory)] [string] $Path,
        [ValidateRange(0, 1000)] [int] $Folders = 3,
        [ValidateRange(0, 100000)] [int] $FilesPerFolder = 4
    )

    $root = [IO.Directory]::CreateDirectory($Path).FullName
    $extensions = '.txt', '.log', '.bin'
    $count = 0
    $make = {
        param([string] $relative, [switch] $hidden)
        $null = New-TestFile -Path ([IO.Path]::Combine($root, $relative)) -Content "content of $relative" -Hidden:$hidden
    }

    & $make 'top.txt'; $count++
    & $make '.dotfile' -hidden; $count++
    for ($i = 1; $i -le $Folders; $i++) {
        for ($j = 1; $j -le $FilesPerFolder; $j++) {
            & $make ("d$i/file$j" + $extensions[($j - 1) % $extensions.Count]); $count++
        }
        & $make "d$i/.hidden-d$i" -hidden; $count++
        & $make "d$i/sub/nested1.txt"; $count++
        & $make "d$i/sub/nested2.dat"; $count++
    }
    & $make '.cache/cached.bin'; $count++
    if ($IsWindows) {
        $cache = [IO.Path]::Combine($root, '.cache')
        [IO.File]::SetAttributes($cache, [IO.File]::GetAttributes($cache) -bor [IO.FileAttributes]::Hidden)
    }
    $count
}

function Get-TestFileCount {
    <#
    .SYNOPSIS
    How many files Get-ChildItem sees below -LiteralPath, hidden ones included (-Depth as Get-ChildItem's).
    #>
    [CmdletBinding()]
    [OutputType([int])]
    param(
        [Parameter(Mandatory)] [string] $LiteralPath,
        [int] $Depth = -1
    )

    $items = if ($Depth -ge 0) {
        Get-ChildItem -LiteralPath $LiteralPath -Recurse -Depth $Depth -File -Force
    }
    else {
        Get-ChildItem -LiteralPath $LiteralPath -Recurse -File -Force
    }
    @($items).Count
}

function New-CatalogPath {
    <#
    .SYNOPSIS
    A fresh catalog path (the file is not created) in -Directory, which is created if missing.
    Keep catalogs out of the trees you scan, or the scan records the catalog itself.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [string] $Directory,
        [string] $Name = ('catalog-' + [guid]::NewGuid().ToString('N').Substring(0, 12) + '.db')
    )

    $folder = [IO.Directory]::CreateDirectory($Directory).FullName
    [IO.Path]::Combine($folder, $Name)
}

function Get-RealPath {
    <#
    .SYNOPSIS
    The absolute path with every symbolic link among its existing components replaced by its target
    (as realpath does; components that do not exist are kept as written). On macOS the temp folder
    lives behind /var -> /private/var, so writer sessions report catalogs by this spelling.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [string] $Path,
        [int] $Hops = 0
    )

    if ($Hops -gt 40) {
        throw "Too many levels of symbolic links in '$Path'."
    }
    $full = [IO.Path]::GetFullPath($Path)
    $root = [IO.Path]::GetPathRoot($full)
    $parts = $full.Substring($root.Length).Split([char[]]@('/', '\'), [StringSplitOptions]::RemoveEmptyEntries)
    $current = $root
    for ($i = 0; $i -lt $parts.Count; $i++) {
        $next = [IO.Path]::Combine($current, $parts[$i])
        $target = $null
        try {
            $target = [IO.FileInfo]::new($next).LinkTarget
        }
        catch {
            $target = $null # not there (yet) or unreadable: keep the name as written
        }
        if ($target) {
            $resolved = [IO.Path]::GetFullPath($target, $current)
            $rest = @($parts | Select-Object -Skip ($i + 1))
            $combined = if ($rest.Count -gt 0) { [IO.Path]::Combine($resolved, ($rest -join [IO.Path]::DirectorySeparatorChar)) } else { $resolved }
            return Get-RealPath -Path $combined -Hops ($Hops + 1)
        }
        $current = $next
    }
    $trimmed = [IO.Path]::TrimEndingDirectorySeparator($current)
    if ($trimmed) { $trimmed } else { $root }
}

function Test-IsRoot {
    <#
    .SYNOPSIS
    True on Linux/macOS when running as root (permissions then stop nothing, so permission tests are skipped).
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    param()

    if ($IsWindows) {
        return $false
    }
    [string](id -u) -eq '0'
}

function Join-Sorted {
    <#
    .SYNOPSIS
    Sorts strings ordinally and joins them with '|', to compare two sets of paths in one assertion.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([AllowEmptyCollection()] [AllowNull()] [string[]] $Value)

    if ($null -eq $Value) {
        return ''
    }
    $list = [System.Collections.Generic.List[string]]::new([string[]]@($Value))
    $list.Sort([System.StringComparer]::Ordinal)
    $list -join '|'
}

function Send-TestSignal {
    <#
    .SYNOPSIS
    Writes a signal file for another process (a Start-Job job) to wait for: the text goes to a temporary
    file that is then renamed, so the reader never sees a half-written signal.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string] $Path,
        [string] $Text = ''
    )

    $temporary = $Path + '.' + [guid]::NewGuid().ToString('N') + '.tmp'
    [IO.File]::WriteAllText($temporary, $Text)
    [IO.File]::Move($temporary, $Path, $true)
}

function Wait-TestSignal {
    <#
    .SYNOPSIS
    Waits until the signal file -Path exists (written by a job with a write-then-rename) and returns its
    text. Fails after -TimeoutSeconds, or as soon as -Job is no longer running, with what the job reported.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [string] $Path,
        [System.Management.Automation.Job] $Job,
        [int] $TimeoutSeconds = 120
    )

    $deadline = [datetime]::UtcNow.AddSeconds($TimeoutSeconds)
    while (-not [IO.File]::Exists($Path)) {
        if ($null -ne $Job -and $Job.State -notin 'NotStarted', 'Running') {
            throw "The job ended ($($Job.State)) before it wrote '$Path': $(Get-TestJobFailure -Job $Job)"
        }
        if ([datetime]::UtcNow -gt $deadline) {
            $state = if ($null -ne $Job) { " (job state: $($Job.State); $(Get-TestJobFailure -Job $Job))" } else { '' }
            throw "Waited $TimeoutSeconds s for '$Path'$state."
        }
        Start-Sleep -Milliseconds 25
    }
    [IO.File]::ReadAllText($Path)
}

function Get-TestJobFailure {
    <#
    .SYNOPSIS
    What a job (and its child jobs) reported as errors, as one string for assertion messages.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)] [System.Management.Automation.Job] $Job)

    $parts = foreach ($j in @($Job) + @($Job.ChildJobs)) {
        if ($j.JobStateInfo.Reason) {
            [string]$j.JobStateInfo.Reason.Message
        }
        foreach ($e in @($j.Error)) {
            [string]$e
        }
    }
    (@($parts | Where-Object { $_ }) -join ' | ')
}

function Get-PwshPath {
    <#
    .SYNOPSIS
    The pwsh executable to start child PowerShell processes with. Not (Get-Process -Id $PID).Path: under
    the .NET global tool that is dotnet, and pwsh itself is a launcher of dotnet .../pwsh.dll.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param()

    $found = Get-Command -Name pwsh -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if ($found) {
        return $found.Source
    }
    $candidate = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
    if (Test-Path -LiteralPath $candidate) {
        return $candidate
    }
    throw 'pwsh was not found on PATH; child PowerShell processes cannot be started.'
}

function Get-TestUser {
    <#
    .SYNOPSIS
    How to start a child pwsh as an account that file permissions apply to (root ignores them), for tests of
    read-only and unreadable files. Not root: the current account, as it is. Root: the user nobody, through
    runuser, with copies of PowerShell and of the module under -WorkDirectory when nobody cannot read them
    where they are (a .NET global tool lives under root's home). Returns Uid, Command (what starts pwsh),
    ModulePath (the ScanTools.psd1 that account imports) and Skip (why it cannot be done here, else $null).
    Pass it to Invoke-TestPwsh -User.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $WorkDirectory)

    $modulePath = Get-ScanToolsTestModulePath
    $user = [pscustomobject]@{ Uid = $null; Command = @(); ModulePath = $modulePath; Skip = $null }
    if ($IsWindows) {
        $user.Skip = 'needs Unix file permissions'
        return $user
    }
    if (-not (Test-IsRoot)) {
        $user.Uid = [int](id -u)
        $user.Command = @(Get-PwshPath)
        return $user
    }
    $runuser = Get-Command -Name runuser -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if (-not $runuser) {
        $user.Skip = 'running as root, where permissions stop nothing, and runuser is not available to run the test as another account'
        return $user
    }
    $name = 'nobody'
    $uid = id -u $name 2>$null
    if ($LASTEXITCODE -ne 0) {
        $user.Skip = "running as root, and there is no user '$name' to run the test as"
        return $user
    }
    $null = [IO.Directory]::CreateDirectory($WorkDirectory)
    # Every folder from / down to the work folder must let that account through.
    for ($d = [IO.DirectoryInfo]::new($WorkDirectory); $null -ne $d; $d = $d.Parent) {
        $d.UnixFileMode = $d.UnixFileMode -bor [IO.UnixFileMode]'OtherExecute'
    }
    $canRead = { param($path) & $runuser.Source -u $name -- test -r $path; $LASTEXITCODE -eq 0 }

    # The dotnet host runs pwsh.dll when PowerShell is a .NET global tool; otherwise pwsh is its own executable.
    $process = [Environment]::ProcessPath
    $hosted = [IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet'
    $pwshHome = $PSHOME
    if (-not (& $canRead (Join-Path $pwshHome 'pwsh.dll'))) {
        $pwshHome = Join-Path $WorkDirectory 'pwsh'
        Copy-Item -LiteralPath $PSHOME -Destination $pwshHome -Recurse
    }
    $user.Command = if ($hosted) { @($process, (Join-Path $pwshHome 'pwsh.dll')) } else { @((Join-Path $pwshHome ([IO.Path]::GetFileName($process)))) }
    if (-not (& $canRead $modulePath)) {
        $moduleCopy = Join-Path $WorkDirectory 'module/ScanTools'
        $null = New-Item -ItemType Directory -Path $moduleCopy -Force
        Copy-Item -Path (Join-Path (Split-Path -Parent $modulePath) '*') -Destination $moduleCopy -Recurse
        $user.ModulePath = Join-Path $moduleCopy 'ScanTools.psd1'
    }
    $userHome = [IO.Directory]::CreateDirectory((Join-Path $WorkDirectory 'home')).FullName
    & chown $name $userHome
    $user.Uid = [int]$uid
    # runuser sets HOME to the account's own (often /nonexistent): env gives it one it can write.
    $user.Command = @($runuser.Source, '-u', $name, '--', 'env', '-u', 'XDG_CONFIG_HOME', '-u', 'XDG_DATA_HOME', '-u', 'XDG_CACHE_HOME', "HOME=$userHome") + $user.Command
    foreach ($path in @($user.Command[-1], $user.ModulePath)) {
        if (-not (& $canRead $path)) {
            $user.Skip = "running as root, and the user '$name' cannot read '$path' even after copying it"
        }
    }
    & $runuser.Source -u $name -- test -x $process
    if ($LASTEXITCODE -ne 0) {
        $user.Skip = "running as root, and the user '$name' cannot run '$process'"
    }
    $user
}

function New-TestUserDirectory {
    <#
    .SYNOPSIS
    Creates a folder that the account of a Get-TestUser object owns (root gives it away), so that its
    child pwsh creates catalogs there as their owner.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [string] $Parent,
        [Parameter(Mandatory)] $User
    )

    $folder = New-TestDirectory -Parent $Parent
    if (Test-IsRoot) {
        & chown $User.Uid $folder
    }
    $folder
}

function Invoke-TestPwsh {
    <#
    .SYNOPSIS
    Runs -Script in a new pwsh process (-NoProfile -NonInteractive) and returns an object with its ExitCode
    and Output (stdout and stderr lines, in order). -ArgumentList values reach the script as $args. With
    -User (from Get-TestUser), the process runs as that account.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string] $Script,
        [object[]] $ArgumentList = @(),
        [int] $TimeoutSeconds = 120,
        $User
    )

    $file = Join-Path ([IO.Path]::GetTempPath()) ("scantools-child-" + [guid]::NewGuid().ToString('N') + '.ps1')
    [IO.File]::WriteAllText($file, $Script)
    try {
        $command = @(if ($User) { $User.Command } else { Get-PwshPath })
        if ($User) {
            [IO.File]::SetUnixFileMode($file, [IO.UnixFileMode]'UserRead, UserWrite, GroupRead, OtherRead')
        }
        $psi = [System.Diagnostics.ProcessStartInfo]::new($command[0])
        foreach ($a in @($command | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $file) + @($ArgumentList | ForEach-Object { [string]$_ })) {
            $psi.ArgumentList.Add($a)
        }
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $psi.UseShellExecute = $false
        $process = [System.Diagnostics.Process]::Start($psi)
        $stderr = $process.StandardError.ReadToEndAsync()
        $stdout = $process.StandardOutput.ReadToEnd()
        if (-not $process.WaitForExit($TimeoutSeconds * 1000)) {
            $process.Kill($true)
            throw "The child pwsh did not finish within $TimeoutSeconds s. Output: $stdout"
        }
        [pscustomobject]@{
            ExitCode = $process.ExitCode
            Output   = @(($stdout + $stderr.Result) -split "`r?`n" | Where-Object { $_ -ne '' })
        }
    }
    finally {
        Remove-Item -LiteralPath $file -ErrorAction SilentlyContinue
    }
}

function Start-TestPwsh {
    <#
    .SYNOPSIS
    Starts -Script in a new pwsh process (-NoProfile -NonInteractive) without waiting, its output
    redirected to the file -OutputPath. Returns the System.Diagnostics.Process of the launcher; the
    script itself should report $PID (the process that runs PowerShell: under the .NET global tool, a
    dotnet child of the pwsh launcher) for tests that signal it.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string] $Script,
        [Parameter(Mandatory)] [string] $OutputPath,
        [object[]] $ArgumentList = @()
    )

    $file = [IO.Path]::ChangeExtension($OutputPath, '.ps1')
    [IO.File]::WriteAllText($file, $Script)
    $psi = [System.Diagnostics.ProcessStartInfo]::new('/bin/sh')
    $quoted = @((Get-PwshPath), '-NoProfile', '-NonInteractive', '-File', $file) + @($ArgumentList | ForEach-Object { [string]$_ }) |
        ForEach-Object { "'" + ($_ -replace "'", "'\''") + "'" }
    # A test run started in the background of a shell without job control (CI's detached runs) ignores SIGINT and SIGQUIT,
    # and a child inherits that: the SIGINT test's scan went on, and the test timed out. GNU env gives the child the
    # default action back; elsewhere (macOS) the child keeps what it inherited.
    if ($null -eq $script:ResetSignals) {
        $script:ResetSignals = ''
        if (Get-Command env -CommandType Application -ErrorAction SilentlyContinue) {
            & env --default-signal=INT,QUIT true 2>$null
            if ($LASTEXITCODE -eq 0) { $script:ResetSignals = 'env --default-signal=INT,QUIT ' }
        }
    }
    $psi.ArgumentList.Add('-c')
    $psi.ArgumentList.Add(('exec ' + $script:ResetSignals + ($quoted -join ' ') + " > '" + ($OutputPath -replace "'", "'\''") + "' 2>&1"))
    $psi.UseShellExecute = $false
    [System.Diagnostics.Process]::Start($psi)
}

function Get-NuGetPackageFolder {
    <#
    .SYNOPSIS
    NuGet's global package folder, where tests/pester/tools/PesterTools.csproj restores what the tests use.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param()

    if ($env:NUGET_PACKAGES) {
        return $env:NUGET_PACKAGES
    }
    $listed = dotnet nuget locals global-packages --list 2>$null | Select-Object -First 1
    if ($listed -match 'global-packages:\s*(.+)$') {
        return $Matches[1].Trim()
    }
    Join-Path $HOME '.nuget/packages'
}

function Invoke-TestSql {
    <#
    .SYNOPSIS
    Runs one SQL statement on a catalog through the module's own Microsoft.Data.Sqlite (taken from the
    ScanTools load context, so no other SQLite is needed), for test setup such as a refusing trigger.
    Returns the first column of the first row.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string] $Database,
        [Parameter(Mandatory)] [string] $Sql
    )

    $assembly = [System.Runtime.Loader.AssemblyLoadContext]::All |
        ForEach-Object { $_.Assemblies } |
        Where-Object { $_.GetName().Name -eq 'Microsoft.Data.Sqlite' } |
        Select-Object -First 1
    if (-not $assembly) {
        throw 'Microsoft.Data.Sqlite is not loaded: import ScanTools and use a cmdlet first.'
    }
    $connection = [Activator]::CreateInstance($assembly.GetType('Microsoft.Data.Sqlite.SqliteConnection'), @("Data Source=$Database;Pooling=False"))
    try {
        $connection.Open()
        $command = $connection.CreateCommand()
        $command.CommandText = $Sql
        $command.ExecuteScalar()
    }
    finally {
        $connection.Dispose()
    }
}

Export-ModuleMember -Function Get-ScanToolsTestModulePath, New-TestDirectory, New-TestFile, New-TestTree, Get-TestFileCount,
    New-CatalogPath, Get-RealPath, Test-IsRoot, Join-Sorted, Send-TestSignal, Wait-TestSignal, Get-TestJobFailure,
    Get-PwshPath, Invoke-TestPwsh, Start-TestPwsh, Get-NuGetPackageFolder, Invoke-TestSql, Get-TestUser, New-TestUserDirectory
