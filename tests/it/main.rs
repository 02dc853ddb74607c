mod aws;
