; Neurodesk per-user installer: no administrator rights, installs under
; %LOCALAPPDATA%\Programs\Neurodesk. make package passes VERSION, EXE and OUT.
;
; It succeeds the Neurodesk App 1.x (electron-builder, appId
; org.neurodesk.neurodeskapp): it takes over 1.x's entry in "Installed apps"
; (the key electron-builder derives from the appId) and removes 1.x's files
; with 1.x's own silent uninstaller, which keeps the person's data.
; 64-bit, as the app is: the installer then runs where the app does (and under
; a 64-bit-only Wine in the tests).
Target amd64-unicode
!include "MUI2.nsh"
!include "LogicLib.nsh"
!include "FileFunc.nsh"

!ifndef VERSION
  !error "VERSION is not defined"
!endif
!define PRODUCT "Neurodesk"
; uuid v5 of the appId in electron-builder's namespace 50e065bc-3134-11e6-9bab-38c9862bdaf3
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\cb534ed1-381a-53a0-8209-d2d9f455bef5"
!define OLDKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\NeurodeskApp"
!define PROGID "Neurodesk.ipynb"

Name "${PRODUCT}"
OutFile "${OUT}"
InstallDir "$LOCALAPPDATA\Programs\Neurodesk"
InstallDirRegKey HKCU "Software\Neurodesk" "InstallDir"
RequestExecutionLevel user
SetCompressor /SOLID lzma
VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "${PRODUCT}"
VIAddVersionKey "CompanyName" "The Neurodesk project"
VIAddVersionKey "FileDescription" "Neurodesk installer"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "LegalCopyright" "Copyright © 2026 The Neurodesk project"

!define MUI_ICON "..\icon.ico"
!define MUI_UNICON "..\icon.ico"
!define MUI_FINISHPAGE_RUN "$INSTDIR\neurodeskapp.exe"
!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

; WaitUntilClosed asks the person to quit a running Neurodesk: a running
; exe cannot be opened for writing.
!macro WaitUntilClosed EXEPATH
  ${Do}
    ClearErrors
    ${IfNot} ${FileExists} "${EXEPATH}"
      ${Break}
    ${EndIf}
    FileOpen $R0 "${EXEPATH}" a
    ${IfNot} ${Errors}
      FileClose $R0
      ${Break}
    ${EndIf}
    MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION "Neurodesk is running. Quit it (a running Neurodesktop session keeps running), then press Retry." /SD IDCANCEL IDRETRY +2
    Abort
  ${Loop}
!macroend

Function .onInit
  !insertmacro WaitUntilClosed "$INSTDIR\neurodeskapp.exe"
FunctionEnd

; RemoveOld runs the 1.x uninstaller silently, if 1.x is installed.
Function RemoveOld
  ReadRegStr $0 HKCU "${UNINSTKEY}" "QuietUninstallString"
  ReadRegStr $1 HKCU "${UNINSTKEY}" "DisplayName"
  ${If} $0 == ""
    ReadRegStr $0 HKCU "${OLDKEY}" "QuietUninstallString"
  ${EndIf}
  ${If} $0 != ""
  ${AndIf} $1 != "${PRODUCT}"
    DetailPrint "Removing the Neurodesk App 1.x (your data stays)"
    ExecWait '$0' $2
    DetailPrint "1.x uninstaller exited with $2"
  ${EndIf}
FunctionEnd

Section "Neurodesk" SecMain
  Call RemoveOld
  SetOutPath "$INSTDIR"
  File "/oname=neurodeskapp.exe" "${EXE}"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  CreateShortcut "$SMPROGRAMS\Neurodesk.lnk" "$INSTDIR\neurodeskapp.exe"
  WriteRegStr HKCU "Software\Neurodesk" "InstallDir" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTKEY}" "DisplayName" "${PRODUCT}"
  WriteRegStr HKCU "${UNINSTKEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTKEY}" "Publisher" "The Neurodesk project"
  WriteRegStr HKCU "${UNINSTKEY}" "DisplayIcon" "$INSTDIR\neurodeskapp.exe"
  WriteRegStr HKCU "${UNINSTKEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTKEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTKEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTKEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTKEY}" "NoRepair" 1
  ; The app keeps DisplayVersion and EstimatedSize true after its own updates.
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD HKCU "${UNINSTKEY}" "EstimatedSize" "$0"
  ; Notebooks open with the app: offered under "Open with", and the
  ; default where no program has claimed .ipynb yet (Windows lets the
  ; person choose otherwise). Explorer hands the path as the argument.
  WriteRegStr HKCU "Software\Classes\${PROGID}" "" "Jupyter Notebook"
  WriteRegStr HKCU "Software\Classes\${PROGID}\DefaultIcon" "" "$INSTDIR\neurodeskapp.exe,0"
  WriteRegStr HKCU "Software\Classes\${PROGID}\shell\open\command" "" '"$INSTDIR\neurodeskapp.exe" "%1"'
  WriteRegStr HKCU "Software\Classes\.ipynb\OpenWithProgids" "${PROGID}" ""
  WriteRegStr HKCU "Software\Classes\Applications\neurodeskapp.exe\SupportedTypes" ".ipynb" ""
  ReadRegStr $0 HKCR ".ipynb" ""
  ${If} $0 == ""
    WriteRegStr HKCU "Software\Classes\.ipynb" "" "${PROGID}"
  ${EndIf}
  System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)' ; SHCNE_ASSOCCHANGED
SectionEnd

Var Purge

; The settings, logs and caches stay unless the person asks (/PURGE when
; silent). The data folder is theirs and is never removed.
Function un.onInit
  !insertmacro WaitUntilClosed "$INSTDIR\neurodeskapp.exe"
  StrCpy $Purge 0
  ${GetParameters} $R1
  ClearErrors
  ${GetOptions} $R1 "/PURGE" $R2
  ${IfNot} ${Errors}
    StrCpy $Purge 1
  ${ElseIfNot} ${Silent}
    MessageBox MB_YESNO|MB_ICONQUESTION|MB_DEFBUTTON2 "Also remove Neurodesk's settings, logs and caches?$\r$\n$\r$\nYour data folder is kept either way." IDNO +2
    StrCpy $Purge 1
  ${EndIf}
FunctionEnd

Section "Uninstall"
  ; Everything the installer and the in-app updater put here goes: the app,
  ; the copy the updater kept of the previous version, the uninstaller, and
  ; WebView2's data. The data folder (C:\neurodesktop-storage by default),
  ; the settings and the container engine's images and volumes stay.
  Delete "$INSTDIR\neurodeskapp.exe"
  Delete "$INSTDIR\.neurodeskapp.exe.old"
  Delete "$INSTDIR\neurodeskapp.exe.old"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\Neurodesk.lnk"
  RMDir /r "$LOCALAPPDATA\Neurodesk\WebView2"
  RMDir "$LOCALAPPDATA\Neurodesk"
  DeleteRegKey HKCU "${UNINSTKEY}"
  DeleteRegKey HKCU "Software\Neurodesk"
  DeleteRegKey HKCU "Software\Classes\${PROGID}"
  DeleteRegKey HKCU "Software\Classes\Applications\neurodeskapp.exe"
  DeleteRegValue HKCU "Software\Classes\.ipynb\OpenWithProgids" "${PROGID}"
  ReadRegStr $0 HKCU "Software\Classes\.ipynb" ""
  ${If} $0 == "${PROGID}"
    DeleteRegValue HKCU "Software\Classes\.ipynb" ""
  ${EndIf}
  DeleteRegKey /ifempty HKCU "Software\Classes\.ipynb\OpenWithProgids"
  DeleteRegKey /ifempty HKCU "Software\Classes\.ipynb"
  System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)'
  ${If} $Purge == 1
    ; The app's own folders (app/platform: settings and logs, the cache).
    RMDir /r "$LOCALAPPDATA\neurodeskapp"
    RMDir /r "$LOCALAPPDATA\cache\neurodeskapp"
  ${EndIf}
  MessageBox MB_OK|MB_ICONINFORMATION "Neurodesk was removed. Your data folder was not touched.$\r$\n$\r$\nTo free the disk space Neurodesktop used, in a terminal list its images with$\r$\n  docker images vnmd/neurodesktop$\r$\nremove each with  docker rmi IMAGE-ID  and, only if you no longer need your Neurodesktop home folder,$\r$\n  docker volume rm neurodesk-home" /SD IDOK
SectionEnd
