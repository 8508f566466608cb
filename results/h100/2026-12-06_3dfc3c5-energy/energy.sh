#!/usr/bin/env bash
# Builds energy.cu against diagnostic copies of kernels/conv_igemm_mma.cu with the fused.wgmma_rs_tf32 default's
# -D values (bn:64/ck:8/epi:1/form:2/groups:2/la:2/nf:4/order:0/round:1/stages:3/th:4/wide:0). $1 source root, $2 out.
set -u
SRC=$1; O=$2; H=$(cd $(dirname $0) && pwd); NVCC=${NVCC:-nvcc}
D="-DKR=3 -DKS=3 -DSTRIDE=1 -DPAD=0 -DCPAD=64 -DVEC=1 -DTHREEX=0 -DMISH_COUNT=2 -DWGMMA=1 -DTH=4 -DTW=64 -DBN=64 -DCK=8 -DWM=4 -DWN=1 -DSTAGES=3 -DGROUPS=2 -DSTAGGER=0 -DPAIRS=0 -DBFRAG=0 -DNF=4 -DLA=2 -DWIDE=0 -DMISH_FORM=2 -DEPI_PRED=1 -DUNROLL_TAPS=1 -DROUND_A=1 -DFOLD=0 -DSPLIT=0 -DORDER=0"
NOLOAD='s|if (it + STAGES - 1 < total_it) load_stage(it + STAGES - 1);|/* no loads after the prologue: the patches keep their first random data */|'
mk() {  # tag, sed script, extra flags
  mkdir -p $O/$1 && cp $SRC/kernels/*.cuh $O/$1/ && sed "$2" $SRC/kernels/conv_igemm_mma.cu > $O/$1/conv_igemm_mma.cu
  [ -z "$2" ] || ! cmp -s $SRC/kernels/conv_igemm_mma.cu $O/$1/conv_igemm_mma.cu || { echo "$1: sed changed nothing"; return; }
  $NVCC -gencode arch=compute_90a,code=sm_90a -O3 -std=c++17 $D $3 -DTAG="\"$1\"" -I$O/$1 -Xptxas -v -o $O/$1/h $H/energy.cu -ldl > $O/$1/build.log 2>&1 || { echo "$1: build failed"; tail -5 $O/$1/build.log; }
}
mk full '' '' &
mk no_mish '' '-UMISH_COUNT -DMISH_COUNT=0' &
mk no_store '' '-DKZERO=1' &
mk no_store_no_mish '' '-DKZERO=1 -UMISH_COUNT -DMISH_COUNT=0' &
mk no_load "$NOLOAD" '' &
mk no_load_store_mish "$NOLOAD" '-DKZERO=1 -UMISH_COUNT -DMISH_COUNT=0' &
wait
