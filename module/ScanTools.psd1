@{
    RootModule           = 'ScanTools.Cmdlets.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '5e0f7d8a-3b6c-4f52-9a1e-7c2d4b8e6f31'
    Author               = 'ScanTools contributors'
    CompanyName          = 'ScanTools'
    Copyright            = '(c) ScanTools contributors. All rights reserved.'
    Description          = 'Catalog and search large file estates. Start-Scan walks folders in parallel and records every file (path, size, times, attributes, optional SHA-256) in a SQLite catalog; Get-Finding queries it. All writers in a process share one writer per catalog, so parallel scans, runspaces and jobs never see "database is locked".'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    CmdletsToExport      = @(
        'Start-Scan'
        'Get-Finding'
        'Get-FindingMatch'
        'Export-FindingMatch'
        'Export-FindingBaseline'
        'Get-ScanRule'
        'Start-ScanConsumer'
        'Write-Finding'
        'Get-ScanRun'
        'Get-ScanError'
        'Get-ScanSession'
        'Register-ScanSchedule'
        'Get-ScanSchedule'
        'Unregister-ScanSchedule'
        'Get-ScanChange'
        'Find-DuplicateFile'
        'Optimize-ScanCatalog'
        'Backup-ScanCatalog'
        'Measure-ScanFolder'
        'Measure-ScanFile'
        'Export-ScanReport'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    FormatsToProcess     = @('ScanTools.format.ps1xml')
    PrivateData          = @{
        PSData = @{
            Tags         = @('FileSystem', 'Inventory', 'Catalog', 'Scan', 'SQLite', 'Hash', 'Audit', 'Linux', 'Windows', 'macOS')
            ReleaseNotes = 'First release: Start-Scan, Get-Finding, Write-Finding, Get-ScanRun, Get-ScanError, Get-ScanSession. Processes writing one catalog elect one writer and forward to it.'
        }
    }
}
