; Inno Setup 6 script: wraps the one-folder build (dist\QI Capture) in a per-user installer.
;
;   iscc /DAppVersion=0.1.0 packaging\windows\qi_capture.iss
;   iscc /DAppVersion=0.1.0 /DDeploymentDir=C:\it\qi packaging\windows\qi_capture.iss
;
; DeploymentDir (optional) is a folder IT prepares holding deployment.json and the study
; pack it names; both are installed beside "QI Capture.exe", where the app reads them
; (see packaging/README-deployment.md). Without it IT can drop the same files into
; %LOCALAPPDATA%\Programs\QI Capture after installing.
;
; Per-user: no administrator rights, installs under %LOCALAPPDATA%\Programs. Uninstall
; removes the program only: profiles live in %LOCALAPPDATA%\QI Capture (never touched
; here), so uninstalling or upgrading never deletes interview data.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#define AppName "QI Capture"
#define AppExe "QI Capture.exe"
#define SourceDir "..\..\dist\QI Capture"

[Setup]
; The AppId identifies the product across versions: never change it, or upgrades
; install side by side instead of replacing the old version.
AppId={{5C0E5E3B-7F0B-4B8E-9E0D-3A1C2F4D6B71}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=London QI programme
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
DisableDirPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=QI-Capture-{#AppVersion}-setup
SetupIconFile=..\..\resources\icons\app.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; An open profile holds a lock and a live database: close the app before replacing files.
CloseApplications=yes
RestartApplications=no
VersionInfoVersion={#AppVersion}

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; An upgrade replaces the program folder's libraries wholesale, so files a newer build
; no longer ships cannot linger and be loaded. deployment.json and packs are kept.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs
#ifdef DeploymentDir
Source: "{#DeploymentDir}\*"; DestDir: "{app}"; Flags: ignoreversion
#endif

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
