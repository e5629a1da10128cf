; Neurodesk per-user installer: no administrator rights, installs under
; %LOCALAPPDATA%\Programs\Neurodesk. make package passes VERSION, ARCH, EXE and OUT.
Unicode true
!include "MUI2.nsh"

!ifndef VERSION
  !error "VERSION is not defined"
!endif
!define PRODUCT "Neurodesk"
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\NeurodeskApp"

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

Section "Neurodesk" SecMain
  SetOutPath "$INSTDIR"
  File "/oname=neurodeskapp.exe" "${EXE}"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  CreateShortcut "$SMPROGRAMS\Neurodesk.lnk" "$INSTDIR\neurodeskapp.exe"
  WriteRegStr HKCU "Software\Neurodesk" "InstallDir" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTKEY}" "DisplayName" "${PRODUCT}"
  WriteRegStr HKCU "${UNINSTKEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTKEY}" "Publisher" "The Neurodesk project"
  WriteRegStr HKCU "${UNINSTKEY}" "DisplayIcon" "$INSTDIR\neurodeskapp.exe"
  WriteRegStr HKCU "${UNINSTKEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegDWORD HKCU "${UNINSTKEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTKEY}" "NoRepair" 1
SectionEnd

Section "Uninstall"
  ; The app and its WebView2 data go; the data folder (C:\neurodesktop-storage
  ; by default) and the container engine's images and volumes stay.
  Delete "$INSTDIR\neurodeskapp.exe"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\Neurodesk.lnk"
  RMDir /r "$LOCALAPPDATA\Neurodesk\WebView2"
  RMDir "$LOCALAPPDATA\Neurodesk"
  DeleteRegKey HKCU "${UNINSTKEY}"
  DeleteRegKey HKCU "Software\Neurodesk"
  MessageBox MB_OK|MB_ICONINFORMATION "Neurodesk was removed. Your data folder was not touched.$\r$\n$\r$\nTo free the disk space Neurodesktop used, in a terminal list its images with$\r$\n  docker images vnmd/neurodesktop$\r$\nremove each with  docker rmi IMAGE-ID  and, only if you no longer need your Neurodesktop home folder,$\r$\n  docker volume rm neurodesk-home" /SD IDOK
SectionEnd
